import type { RedisClient } from '../redis/client.js';
import { actorKey, tenantKey } from '../redis/keys.js';
import type { SupportSession, SupportSessionStore } from './sessions.js';

// The mark sits in the tenant's slot beside the session records it describes; the actor index
// (all sessions of one support user, in any tenant) under the actor's own tag.
const keys = {
  record: (p: string, t: string, uid: string) => tenantKey(p, t, 'oidc', 'support', uid),
  byTenant: (p: string, t: string) => tenantKey(p, t, 'oidc', 'support-sessions'),
  byActor: (p: string, actorId: string) => actorKey(p, actorId, 'oidc', 'support-sessions'),
  ended: (p: string, t: string, uid: string) => tenantKey(p, t, 'oidc', 'ended', uid),
};

/**
 * The key of a session's mark. The OIDC adapter extends the mark's life in the same write as
 * every record it stamps (one MULTI, one slot), so it needs the key itself.
 */
export const supportMarkKey = keys.record;

/** The longest any record derived from a session may live (Session, Grant, RefreshToken defaults). */
export const LONGEST_DERIVED_TTL_S = 14 * 86_400;
/**
 * How much longer than the records it marks the mark lives. It must never lapse first: a
 * session whose mark has gone would read as an ordinary session of the target user (issue 8).
 * So its lifetime is not the access's end (which can move later while the session runs) but the
 * longest lifetime of anything derived from the session, extended with every such record; the
 * access's end is decided again on every use instead.
 */
export const SUPPORT_MARK_MARGIN_S = 86_400;

export class RedisSupportSessionStore implements SupportSessionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async save(s: SupportSession): Promise<void> {
    await this.redis.set(keys.record(this.prefix, s.tenant, s.sessionUid), JSON.stringify(s), 'EX', LONGEST_DERIVED_TTL_S + SUPPORT_MARK_MARGIN_S);
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

  inTenant(tenant: string): Promise<string[]> {
    return this.redis.smembers(keys.byTenant(this.prefix, tenant));
  }

  async ofActor(actorId: string): Promise<{ tenant: string; sessionUid: string }[]> {
    return (await this.redis.smembers(keys.byActor(this.prefix, actorId))).map((s) => {
      const i = s.indexOf('/');
      return { tenant: s.slice(0, i), sessionUid: s.slice(i + 1) };
    });
  }

  async claimEnd(tenant: string, sessionUid: string): Promise<boolean> {
    // SET NX: one process wins; the claim outlives any retry of the same end by a day.
    return (await this.redis.set(keys.ended(this.prefix, tenant, sessionUid), '1', 'EX', 86_400, 'NX')) === 'OK';
  }
}
