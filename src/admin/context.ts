import { audited, type AuditContext, type ActionResult } from '../audit/audited.js';
import type { AuditAction, AuditEntry, Party } from '../audit/entry.js';
import type { Domain } from '../domain.js';
import type { AccessEvent } from '../events.js';
import type { Logger } from '../logger.js';
import { authorize, requireAuthorized, type AdminAction, type AdminTarget } from './policy.js';
import type { Principal } from './principal.js';

/** Who is asking, and where the entries and events of what they do go. */
export interface AdminContext {
  domain: Domain;
  principal: Principal;
  /** The entries' who/actor/channel/address for this caller. */
  audit: AuditContext;
  logger?: Logger | undefined;
}

/** One admin action as a pipeline: authorize → domain rule → audited → publish. */
export interface AdminStep<T> {
  /** The permission asked for, and of what. */
  permission: AdminAction;
  target: AdminTarget;
  /** The audit entry: its action, tenant and subject (details come from the result too). */
  entry: { tenant: string; action: AuditAction; subject?: Party | null; details?: AuditEntry['details'] };
  /** Overrides the caller's audit context (support requests are recorded under the tenant user). */
  as?: AuditContext;
  run: () => Promise<ActionResult<T>>;
  /** Events to publish once the change and its entry are stored. */
  events?: (value: T) => AccessEvent[];
}

/**
 * Runs admin actions for one caller. A refusal by the policy is recorded like any failed action
 * (outcome failure, cause forbidden: ...); events go out after the change and its entry, and a
 * failed publish is logged, never undone (every later use of a support session re-checks access).
 */
export function adminRunner(c: AdminContext) {
  const deps = { audit: c.domain.audit, tenants: c.domain.tenants, logger: c.logger };
  const publish = async (events: AccessEvent[]) => {
    for (const event of events) {
      await c.domain.events.publish(event).catch((err: unknown) => c.logger?.error(`could not publish ${event.type}: ${(err as Error).message}`));
    }
  };
  return {
    async act<T>(step: AdminStep<T>): Promise<T> {
      const value = await audited(deps, step.as ?? c.audit, step.entry, async () => {
        requireAuthorized(c.principal, step.permission, step.target);
        return step.run();
      });
      if (step.events) await publish(step.events(value));
      return value;
    },
    /** For reads that record their entry themselves (exports, verifications): only the permission, recorded when refused. */
    async allow(permission: AdminAction, target: AdminTarget, entry: AdminStep<unknown>['entry']): Promise<void> {
      if (authorize(c.principal, permission, target).allowed) return;
      await audited(deps, c.audit, entry, async () => {
        requireAuthorized(c.principal, permission, target);
        return { value: undefined };
      });
    },
    /**
     * A read (a list, a status): only the permission is checked. Reads of the directory are not
     * audit events, but a refused one is, as `access.denied` naming the permission asked for.
     */
    async read<T>(permission: AdminAction, target: AdminTarget, run: () => Promise<T>): Promise<T> {
      if (!authorize(c.principal, permission, target).allowed) {
        await audited(deps, c.audit, { tenant: target.tenant, action: 'access.denied', details: { permission } }, async () => {
          requireAuthorized(c.principal, permission, target);
          return { value: undefined };
        });
      }
      return run();
    },
    publish,
  };
}

export type AdminRunner = ReturnType<typeof adminRunner>;

/** A party known only by name so far (the entry of a refused or failed action still names it). */
export const named = (type: Party['type'], name: string, tenant: string | null): Party => ({ type, id: null, name: name.slice(0, 200), tenant: tenant?.slice(0, 63) ?? null });
