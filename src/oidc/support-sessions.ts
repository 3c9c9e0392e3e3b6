import type { Domain } from '../domain.js';
import type { RedisClient } from '../redis/client.js';
import { actorKey, tenantKey } from '../redis/keys.js';
import { getSettings } from '../settings/settings.js';
import { DENY_MESSAGES, decideEntry, type EntryDecision } from '../support-access/may-enter.js';
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

/** The key of a session's support record (the adapter extends its life with every record it marks). */
export const supportRecordKey = keys.record;

/** The longest any record derived from a session may live (Session, Grant, RefreshToken defaults). */
export const LONGEST_DERIVED_TTL_S = 14 * 86_400;
/**
 * How much longer than the records it marks the support record lives. It must never lapse first:
 * a session whose mark has gone would read as an ordinary session of the target user (issue 8).
 * So its lifetime is not the access's end (which can move later while the session runs) but the
 * longest lifetime of anything derived from the session, extended in the same write as every
 * such record; the access's end is decided again on every use instead.
 */
export const SUPPORT_RECORD_MARGIN_S = 86_400;

export class SupportSessions {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** Marks a session as a support session; the mark outlives everything derived from the session. */
  async save(s: SupportSession): Promise<void> {
    await this.redis.set(keys.record(this.prefix, s.tenant, s.sessionUid), JSON.stringify(s), 'EX', LONGEST_DERIVED_TTL_S + SUPPORT_RECORD_MARGIN_S);
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
 * one write, so it costs one round trip) and decided by the same rule as a login; a session that
 * began before the support user's password last changed may not.
 */
export async function supportStillAllowed(domain: Pick<Domain, 'tenants' | 'users' | 'settings' | 'windows' | 'clock'>, tenant: string, actorId: string, targetId: string, startedAt: number): Promise<EntryDecision> {
  const [tenantRecord, supportUser, target, settings, window] = await Promise.all([
    domain.tenants.get(tenant),
    domain.users.get(MANAGEMENT_TENANT, actorId),
    domain.users.get(tenant, targetId),
    getSettings(domain.settings),
    domain.windows.read(tenant),
  ]);
  const decision = decideEntry({ supportUser, tenant: tenantRecord, target, globalSetting: settings['support.globalAccess'], window, now: domain.clock.now() });
  if (decision.ok && supportUser?.passwordChangedAt && Date.parse(supportUser.passwordChangedAt) >= startedAt) {
    return { ok: false, reason: 'support-user-password-changed', message: DENY_MESSAGES['support-user-password-changed'] };
  }
  return decision;
}
