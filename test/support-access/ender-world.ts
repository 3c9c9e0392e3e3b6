import { queryPage } from '../../src/audit/query.js';
import type { Clock } from '../../src/clock.js';
import type { Domain } from '../../src/domain.js';
import { RedisSupportSessionStore } from '../../src/support-access/redis-support-session-store.js';
import { SupportSessionEnder } from '../../src/support-access/session-ender.js';
import type { SessionRevoker, SupportSession } from '../../src/support-access/sessions.js';
import { createTenant, ensureManagementTenant } from '../../src/tenants/tenants.js';
import { createUser } from '../../src/users/users.js';
import { openDomain, testConfig } from '../support/env.js';

/** Real Redis with tenant acme, support user jill and john: what the session ender works on. */
export interface EnderWorld {
  domain: Domain;
  store: RedisSupportSessionStore;
  jill: { id: string; username: string };
  john: { id: string; username: string };
  /** A support session jill$john in acme, begun now. */
  session(uid: string): SupportSession;
  enderWith(revoker: SessionRevoker): SupportSessionEnder;
  /** acme's `session.ended` entries, newest first. */
  ended(): Promise<Awaited<ReturnType<typeof queryPage>>['entries']>;
  close(): Promise<void>;
}

export async function enderWorld(name: string, clock?: Clock): Promise<EnderWorld> {
  const config = testConfig(name);
  const opened = await openDomain(config);
  const domain: Domain = clock ? { ...opened.domain, clock } : opened.domain;
  const store = new RedisSupportSessionStore(opened.redis, config.redis.prefix);
  await ensureManagementTenant(domain.tenants, domain.clock);
  await createTenant(domain.tenants, domain.clock, { id: 'acme' });
  const j = await createUser(domain, { tenant: 'management', username: 'jill', password: 'long-enough-pw', roles: ['support'], scope: ['acme'] });
  const u = await createUser(domain, { tenant: 'acme', username: 'john', password: 'long-enough-pw' });
  const jill = { id: j.id, username: j.username };
  const john = { id: u.id, username: u.username };
  return {
    domain,
    store,
    jill,
    john,
    session: (uid) => ({ tenant: 'acme', sessionUid: uid, actor: jill, target: john, until: null, startedAt: domain.clock.now() }),
    enderWith: (revoker) => new SupportSessionEnder({ access: domain, tenants: domain.tenants, sessions: store, revoker, audit: domain.audit }),
    ended: async () => (await queryPage({ audit: domain.auditStore, tenants: domain.tenants, users: domain.users }, { tenant: 'acme', action: 'session.ended' }, 50)).entries,
    close: opened.close,
  };
}
