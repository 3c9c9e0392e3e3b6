import type { AuditLog } from '../audit/audit-log.js';
import type { Domain } from '../domain.js';
import type { AccessEvent } from '../events.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/client.js';
import { tenantKey } from '../redis/keys.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import { oidcKey, revokeGrant } from './adapter.js';
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
    const s = await this.sessions.get(tenant, sessionUid);
    if (!s) {
      await this.sessions.remove(tenant, sessionUid);
      return false;
    }
    const decision = await supportStillAllowed(this.domain, tenant, s.actor.id, s.target.id);
    if (decision.ok) return false;
    if ((await this.redis.set(tenantKey(this.prefix, tenant, 'oidc', 'ended', sessionUid), '1', 'EX', 86_400, 'NX')) !== 'OK') return true;
    const sessionId = await this.redis.get(oidcKey(this.prefix, tenant, 'Session:uid', sessionUid));
    const raw = sessionId ? await this.redis.get(oidcKey(this.prefix, tenant, 'Session', sessionId)) : null;
    const authorizations = raw ? ((JSON.parse(raw) as { authorizations?: Record<string, { grantId?: string }> }).authorizations ?? {}) : {};
    for (const a of Object.values(authorizations)) if (a.grantId) await revokeGrant(this.redis, this.prefix, tenant, a.grantId);
    if (sessionId) await this.redis.del(oidcKey(this.prefix, tenant, 'Session', sessionId), oidcKey(this.prefix, tenant, 'Session:uid', sessionUid));
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
        details: { trigger: reason, grants: Object.keys(authorizations).length },
      })
      .catch((err: unknown) => this.logger?.error(`session.ended could not be audited: ${(err as Error).message}`));
    this.logger?.info(`ended support session ${s.actor.username}$${s.target.username} in ${tenant}: ${decision.reason}`);
    return true;
  }
}
