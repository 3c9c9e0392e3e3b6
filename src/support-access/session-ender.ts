import type { AuditLog } from '../audit/audit-log.js';
import type { AccessEvent } from '../events.js';
import type { Logger } from '../logger.js';
import type { TenantStore } from '../tenants/tenants.js';
import { mayStay, type DenyReason } from './may-enter.js';
import { auditIdentity, type SessionRevoker, type SupportSessionStore } from './sessions.js';
import type { SupportDeps } from './support.js';

export interface SessionEnderDeps {
  access: SupportDeps;
  tenants: Pick<TenantStore, 'list'>;
  sessions: SupportSessionStore;
  /** Where the sessions live (the OIDC adapter): destroys one with all it issued. */
  revoker: SessionRevoker;
  audit: Pick<AuditLog, 'record'>;
  logger?: Logger | undefined;
  /** Told of every session ended (a gateway's metrics). */
  observer?: SessionEndObserver | undefined;
  /** Told of a session about to be ended, before it is: back-channel logout queues its apps' logouts (src/oidc/backchannel-sessions.ts). */
  logouts?: SessionLogouts | undefined;
}

/** Where the apps of an ending session hear of it (back-channel logout). */
export interface SessionLogouts {
  sessionEnding(tenant: string, sessionUid: string, trigger: string): Promise<unknown>;
}

/** What the ender reports: why a session ended, what set it off, and how long after its access ended (when known). */
export interface SessionEndObserver {
  sessionEnded(reason: DenyReason, trigger: string, delaySeconds: number | null): void;
}

/**
 * How long after a suspension an issuer may still answer for the tenant: every process re-reads a
 * tenant's status at most once a second (oidc/pool.ts), plus a margin for a request under way.
 */
const ISSUER_STATUS_SETTLE_MS = 1500;

/**
 * Ends support sessions whose access is gone: the session and everything issued from it, from
 * whichever process hears of it first. A claim per session lets exactly one process do it and
 * record `session.ended`.
 */
export class SupportSessionEnder {
  constructor(private readonly deps: SessionEnderDeps) {}

  /**
   * Re-checks every support session an event may touch, ending those no longer allowed.
   * `publishedAt`: when the event was published, i.e. when the access it reports ended.
   */
  async onEvent(event: AccessEvent, publishedAt: number | null = null): Promise<void> {
    const { sessions, tenants } = this.deps;
    const affected: { tenant: string; sessionUid: string }[] = [];
    if (event.type === 'support.window.reduced' || event.type === 'user.disabled' || event.type === 'tenant.suspended') {
      for (const uid of await sessions.inTenant(event.tenant)) affected.push({ tenant: event.tenant, sessionUid: uid });
    } else if (event.type === 'support.global.reduced') {
      for (const t of await tenants.list()) for (const uid of await sessions.inTenant(t.id)) affected.push({ tenant: t.id, sessionUid: uid });
    } else if (event.type === 'support.user.reduced') {
      affected.push(...(await sessions.ofActor(event.userId)));
    }
    try {
      // A window (or global access) that ran out ended at its end, which the session knows; any
      // other reduction ended when it was published.
      const expired = 'reason' in event && event.reason === 'expired';
      await Promise.all(affected.map((a) => this.recheck(a.tenant, a.sessionUid, event.type, expired ? null : publishedAt)));
    } finally {
      if (event.type === 'tenant.suspended') await this.sweepSuspendedTenant(event.tenant);
    }
  }

  /**
   * Deletes every session and token of a suspended tenant, so that none works again after a
   * resume. Every process that hears the event sweeps (deleting twice is harmless). The first sweep
   * always runs: a suspension followed at once by a resume must still end every old token. A
   * second one, once every issuer has seen the suspension, catches what a request already under
   * way wrote after the first; it runs only while the tenant is still suspended, so sessions
   * begun after a resume are left alone.
   */
  private async sweepSuspendedTenant(tenant: string): Promise<void> {
    const { revoker, access, logger } = this.deps;
    if (!revoker.revokeTenant) return;
    let removed = await revoker.revokeTenant(tenant);
    await new Promise((resolve) => setTimeout(resolve, ISSUER_STATUS_SETTLE_MS).unref());
    if ((await access.tenants.get(tenant))?.status === 'suspended') removed += await revoker.revokeTenant(tenant);
    logger?.info(`tenant ${tenant} suspended: deleted ${removed} session and token records`);
  }

  /**
   * Ends the session if it may no longer stay; true when it is (or was just) ended. `changedAt`:
   * when the change that set this off happened, if the caller knows (an event's publication).
   */
  async recheck(tenant: string, sessionUid: string, reason: string, changedAt: number | null = null): Promise<boolean> {
    const { sessions, revoker, audit, logger, observer } = this.deps;
    // The mark names the session's support user; the stored session carries the same stamp, so
    // a session is found even if its mark went missing.
    const s = (await sessions.get(tenant, sessionUid)) ?? (await revoker.stampOf(tenant, sessionUid));
    if (!s) {
      await sessions.remove(tenant, sessionUid);
      return false;
    }
    const decision = await mayStay(this.deps.access, s);
    if (decision.ok) return false;
    if (!(await sessions.claimEnd(tenant, sessionUid))) return true;
    // The apps' logouts are queued before the session goes (it names its apps): a process dying
    // in between loses none. Queuing failing does not keep the session alive.
    await this.deps.logouts?.sessionEnding(tenant, sessionUid, reason).catch((err: unknown) => logger?.error(`back-channel logouts of an ended session could not be queued: ${(err as Error).message}`));
    const { grants } = await revoker.revoke(tenant, sessionUid);
    await sessions.remove(tenant, sessionUid, s.actor.id);
    const identity = auditIdentity({ id: s.target.id, username: s.target.username, tenant }, s);
    await audit
      .record({ tenant, ...identity, action: 'session.ended', outcome: 'success', cause: decision.reason, channel: 'system', details: { trigger: reason, grants } })
      .catch((err: unknown) => logger?.error(`session.ended could not be audited: ${(err as Error).message}`));
    logger?.info(`ended support session ${identity.who} in ${tenant}: ${decision.reason}`);
    if (observer) {
      // Access ended when the change was published (a window closed early, a user disabled), else
      // at the end the session was last granted, once that has passed (a window that ran out).
      const now = this.deps.access.clock.now();
      const endedAt = changedAt ?? (s.until !== null && s.until <= now ? s.until : null);
      observer.sessionEnded(decision.reason, reason, endedAt === null ? null : (now - endedAt) / 1000);
    }
    return true;
  }
}
