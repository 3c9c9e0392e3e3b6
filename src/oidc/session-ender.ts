import type { AuditLog } from '../audit/audit-log.js';
import type { Domain } from '../domain.js';
import type { AccessEvent } from '../events.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/client.js';
import { tenantKey } from '../redis/keys.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import { revokeGrant, storedSessionByUid } from './adapter.js';
import { supportStillAllowed, type SupportSessions } from './support-sessions.js';

/**
 * Ends support sessions whose access is gone: their grants (and so every code and token), the
 * session and its support record, in Redis, from whichever process hears of it first. A claim per
 * session lets exactly one process do it and record `session.ended`.
 */
export class SupportSessionEnder {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly domain: Domain,
    private readonly sessions: SupportSessions,
    private readonly audit: AuditLog,
    private readonly logger?: Logger,
  ) {}

  /** Re-checks every support session an event may touch, ending those no longer allowed. */
  async onEvent(event: AccessEvent): Promise<void> {
    const affected: { tenant: string; sessionUid: string; targetId?: string }[] = [];
    if (event.type === 'support.window.reduced') {
      for (const uid of await this.sessions.inTenant(event.tenant)) affected.push({ tenant: event.tenant, sessionUid: uid });
    } else if (event.type === 'support.global.reduced') {
      for (const t of await this.domain.tenants.list()) for (const uid of await this.sessions.inTenant(t.id)) affected.push({ tenant: t.id, sessionUid: uid });
    } else if (event.type === 'support.user.reduced') {
      affected.push(...(await this.sessions.ofActor(event.userId)));
    } else if (event.type === 'user.disabled') {
      for (const uid of await this.sessions.inTenant(event.tenant)) affected.push({ tenant: event.tenant, sessionUid: uid, targetId: event.userId });
    }
    await Promise.all(affected.map((a) => this.recheck(a.tenant, a.sessionUid, event.type)));
  }

  /** Ends the session if may-enter no longer allows it. */
  async recheck(tenant: string, sessionUid: string, reason: string): Promise<boolean> {
    // The mark names the session's support user; the stored session carries the same stamp, so
    // a session is found even if its mark went missing.
    const stored = await storedSessionByUid(this.redis, this.prefix, tenant, sessionUid);
    const s = (await this.sessions.get(tenant, sessionUid)) ?? stored?.stamp ?? null;
    if (!s) {
      await this.sessions.remove(tenant, sessionUid);
      return false;
    }
    const decision = await supportStillAllowed(this.domain, tenant, s.actor.id, s.target.id, s.startedAt);
    if (decision.ok) return false;
    if ((await this.redis.set(tenantKey(this.prefix, tenant, 'oidc', 'ended', sessionUid), '1', 'EX', 86_400, 'NX')) !== 'OK') return true;
    for (const grantId of stored?.grantIds ?? []) await revokeGrant(this.redis, this.prefix, tenant, grantId);
    if (stored) await this.redis.del(...stored.keys);
    await this.sessions.remove(tenant, sessionUid, s.actor.id);
    await this.audit
      .record({
        tenant,
        who: `${s.actor.username}$${s.target.username}`,
        actor: { type: 'user', id: s.actor.id, name: s.actor.username, tenant: MANAGEMENT_TENANT },
        subject: { type: 'user', id: s.target.id, name: s.target.username, tenant },
        action: 'session.ended',
        outcome: 'success',
        cause: decision.reason,
        channel: 'system',
        details: { trigger: reason, grants: stored?.grantIds.length ?? 0 },
      })
      .catch((err: unknown) => this.logger?.error(`session.ended could not be audited: ${(err as Error).message}`));
    this.logger?.info(`ended support session ${s.actor.username}$${s.target.username} in ${tenant}: ${decision.reason}`);
    return true;
  }
}
