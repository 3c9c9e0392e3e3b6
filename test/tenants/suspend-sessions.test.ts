import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { queryPage } from '../../src/audit/query.js';
import type { Domain } from '../../src/domain.js';
import { RedisSupportSessionStore } from '../../src/support-access/redis-support-session-store.js';
import { SupportSessionEnder } from '../../src/support-access/session-ender.js';
import type { SessionRevoker, SupportSession } from '../../src/support-access/sessions.js';
import { openSupportRequest } from '../../src/support-access/support.js';
import { createTenant, ensureManagementTenant, resumeTenant, suspendTenant } from '../../src/tenants/tenants.js';
import { createUser } from '../../src/users/users.js';
import { openDomain, testConfig } from '../support/env.js';

/** Where sessions are kept, as the ender sees it; records what it was asked to end. */
class RecordingRevoker implements SessionRevoker {
  readonly revoked: string[] = [];
  readonly tenantSweeps: string[] = [];
  /** Called once a tenant sweep has run (lets a test act between the first sweep and the second). */
  onSweep: () => Promise<void> = async () => {};
  async stampOf(): Promise<SupportSession | null> {
    return null;
  }
  async revoke(tenant: string, uid: string): Promise<{ grants: number }> {
    this.revoked.push(`${tenant}/${uid}`);
    return { grants: 1 };
  }
  async revokeTenant(tenant: string): Promise<number> {
    this.tenantSweeps.push(tenant);
    await this.onSweep();
    return 3;
  }
}

describe("a tenant's suspension, as the session ender hears it", () => {
  let domain: Domain;
  let close: () => Promise<void>;
  let store: RedisSupportSessionStore;
  let jill: { id: string; username: string };
  let john: { id: string; username: string };

  beforeAll(async () => {
    const config = testConfig('suspend-sessions');
    const opened = await openDomain(config);
    ({ domain, close } = opened);
    store = new RedisSupportSessionStore(opened.redis, config.redis.prefix);
    await ensureManagementTenant(domain.tenants, domain.clock);
    await createTenant(domain.tenants, domain.clock, { id: 'acme' });
    const j = await createUser(domain, { tenant: 'management', username: 'jill', password: 'long-enough-pw', roles: ['support'], scope: ['acme'] });
    const u = await createUser(domain, { tenant: 'acme', username: 'john', password: 'long-enough-pw' });
    jill = { id: j.id, username: j.username };
    john = { id: u.id, username: u.username };
    await openSupportRequest(domain, { tenant: 'acme', username: 'john', hours: 1 });
  });
  afterAll(async () => close());

  const session = (uid: string): SupportSession => ({ tenant: 'acme', sessionUid: uid, actor: jill, target: john, until: null, startedAt: domain.clock.now() });
  const enderWith = (revoker: SessionRevoker) => new SupportSessionEnder({ access: domain, tenants: domain.tenants, sessions: store, revoker, audit: domain.audit });
  const ended = async () => (await queryPage({ audit: domain.auditStore, tenants: domain.tenants, users: domain.users }, { tenant: 'acme', action: 'session.ended' }, 50)).entries;

  it("ends each support session of the tenant with its own entry, then sweeps the tenant, and again once every issuer has seen it", async () => {
    await store.save(session('s1'));
    await store.save(session('s2'));
    await suspendTenant(domain, 'acme');
    const revoker = new RecordingRevoker();
    await enderWith(revoker).onEvent({ type: 'tenant.suspended', tenant: 'acme' });
    expect(revoker.revoked.sort()).toEqual(['acme/s1', 'acme/s2']);
    expect((await ended()).map((e) => [e.who, e.cause, e.details.trigger])).toEqual([
      ['jill$john', 'tenant-suspended', 'tenant.suspended'],
      ['jill$john', 'tenant-suspended', 'tenant.suspended'],
    ]);
    expect(await store.inTenant('acme')).toEqual([]);
    expect(revoker.tenantSweeps).toEqual(['acme', 'acme']);
    await resumeTenant(domain, 'acme');
  });

  it('skips the second sweep when the tenant was resumed meanwhile, so sessions begun after the resume stay', async () => {
    await suspendTenant(domain, 'acme');
    const revoker = new RecordingRevoker();
    revoker.onSweep = async () => {
      await resumeTenant(domain, 'acme');
    };
    await enderWith(revoker).onEvent({ type: 'tenant.suspended', tenant: 'acme' });
    expect(revoker.tenantSweeps).toEqual(['acme']);
  });

  it('still ends the support sessions through a revoker that cannot sweep a tenant', async () => {
    await store.save(session('s3'));
    await suspendTenant(domain, 'acme');
    const revoker = new RecordingRevoker();
    const withoutSweep: SessionRevoker = { stampOf: async () => null, revoke: (tenant, uid) => revoker.revoke(tenant, uid) };
    const before = (await ended()).length;
    await enderWith(withoutSweep).onEvent({ type: 'tenant.suspended', tenant: 'acme' });
    expect(revoker.revoked).toEqual(['acme/s3']);
    expect((await ended()).length).toBe(before + 1);
    await resumeTenant(domain, 'acme');
  });
});
