import type { Domain } from '../domain.js';
import type { RedisClient } from '../redis/client.js';
import { actorKey, tenantKey } from '../redis/keys.js';
import { getSettings } from '../settings/settings.js';
import { decideEntry, type EntryDecision } from '../support-access/may-enter.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';

/** What makes a session a support session: who is acting, as whom, until when. */
export interface SupportSession {
  tenant: string;
  sessionUid: string;
  actor: { id: string; username: string };
  target: { id: string; username: string };
  /** Epoch ms the access that allowed it ends (null: no limit). */
  until: number | null;
  startedAt: number;
}

// The side record sits in the tenant's slot beside the oidc-provider records it describes; the
// actor index (all sessions of one support user, in any tenant) under the actor's own tag.
const keys = {
  record: (p: string, t: string, uid: string) => tenantKey(p, t, 'oidc', 'support', uid),
  byTenant: (p: string, t: string) => tenantKey(p, t, 'oidc', 'support-sessions'),
  byActor: (p: string, actorId: string) => actorKey(p, actorId, 'oidc', 'support-sessions'),
};

const MAX_TTL_S = 14 * 86_400;

export class SupportSessions {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async save(s: SupportSession, now: number): Promise<void> {
    const ttl = s.until === null ? MAX_TTL_S : Math.max(1, Math.min(MAX_TTL_S, Math.ceil((s.until - now) / 1000)));
    await this.redis.set(keys.record(this.prefix, s.tenant, s.sessionUid), JSON.stringify(s), 'EX', ttl);
    await this.redis.sadd(keys.byTenant(this.prefix, s.tenant), s.sessionUid);
    await this.redis.sadd(keys.byActor(this.prefix, s.actor.id), `${s.tenant}/${s.sessionUid}`);
  }

  async get(tenant: string, sessionUid: string): Promise<SupportSession | null> {
    const raw = await this.redis.get(keys.record(this.prefix, tenant, sessionUid));
    return raw === null ? null : (JSON.parse(raw) as SupportSession);
  }

  async remove(tenant: string, sessionUid: string, actorId?: string): Promise<void> {
    await this.redis.del(keys.record(this.prefix, tenant, sessionUid));
    await this.redis.srem(keys.byTenant(this.prefix, tenant), sessionUid);
    if (actorId) await this.redis.srem(keys.byActor(this.prefix, actorId), `${tenant}/${sessionUid}`);
  }

  /** Session uids of a tenant's support sessions (expired records are skipped by the caller). */
  inTenant(tenant: string): Promise<string[]> {
    return this.redis.smembers(keys.byTenant(this.prefix, tenant));
  }

  /** `{tenant, sessionUid}` of every session of one support user. */
  async ofActor(actorId: string): Promise<{ tenant: string; sessionUid: string }[]> {
    return (await this.redis.smembers(keys.byActor(this.prefix, actorId))).map((s) => {
      const i = s.indexOf('/');
      return { tenant: s.slice(0, i), sessionUid: s.slice(i + 1) };
    });
  }
}

/**
 * May this support session still act? The five facts are read together (their commands leave in
 * one write, so it costs one round trip) and decided by the same rule as a login.
 */
export async function supportStillAllowed(domain: Pick<Domain, 'tenants' | 'users' | 'settings' | 'windows' | 'clock'>, tenant: string, actorId: string, targetId: string): Promise<EntryDecision> {
  const [tenantRecord, supportUser, target, settings, window] = await Promise.all([
    domain.tenants.get(tenant),
    domain.users.get(MANAGEMENT_TENANT, actorId),
    domain.users.get(tenant, targetId),
    getSettings(domain.settings),
    domain.windows.read(tenant),
  ]);
  return decideEntry({ supportUser, tenant: tenantRecord, target, globalSetting: settings['support.globalAccess'], window, now: domain.clock.now() });
}
