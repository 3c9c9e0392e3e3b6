import { randomUUID } from 'node:crypto';
import { isUnconfirmed } from '../redis/replica-acks.js';
import { AppError, toAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { MANAGEMENT_TENANT, tenantIdSchema, type TenantStore } from '../tenants/tenants.js';
import type { AuditLog } from './audit-log.js';
import type { AuditAction, AuditEntry, Channel, Party } from './entry.js';

type Details = AuditEntry['details'];

/** Who is acting and from where: the same for every entry of one request or command. */
export interface AuditContext {
  who: string;
  actor: Party | null;
  channel: Channel;
  clientAddress?: string | null;
  userAgent?: string | null;
  clientId?: string | null;
  requestId?: string | null;
}

export interface AuditedDeps {
  audit: AuditLog;
  tenants: TenantStore;
  logger?: Logger | undefined;
}

export interface ActionResult<T> {
  value: T;
  subject?: Party | null;
  details?: Details;
  /** Reverts the change if its entry cannot be written: no audited action completes without it. */
  undo?: () => Promise<unknown>;
}

/** The tenant whose log takes the entry: the action's tenant when it exists, else management. */
async function logTenant(tenants: TenantStore, tenant: string): Promise<string> {
  if (tenant === MANAGEMENT_TENANT || !tenantIdSchema.safeParse(tenant).success) return MANAGEMENT_TENANT;
  return (await tenants.get(tenant).catch(() => null)) ? tenant : MANAGEMENT_TENANT;
}

/**
 * Runs an action and records its entry: a success entry after it succeeded (undoing the change
 * and failing if the entry cannot be written), a failure entry with the cause when it failed.
 *
 * A process can die between the change and its entry (kill -9, the OOM killer). So before the
 * change, a write-ahead record of the action goes into the tenant's slot; the script that appends
 * the entry clears it in the same step. A record left behind means an action was interrupted:
 * `resolveInterrupted` (interrupted.ts) completes it with an entry saying so, naming the action
 * and what it was done to. No change is ever left without an entry that covers it.
 */
export async function audited<T>(
  deps: AuditedDeps,
  ctx: AuditContext,
  what: { tenant: string; action: AuditAction; subject?: Party | null; details?: Details },
  run: () => Promise<ActionResult<T>>,
): Promise<T> {
  const ended = deps.audit.actionStarted();
  try {
    return await auditedAction(deps, ctx, what, run);
  } finally {
    ended();
  }
}

async function auditedAction<T>(
  deps: AuditedDeps,
  ctx: AuditContext,
  what: { tenant: string; action: AuditAction; subject?: Party | null; details?: Details },
  run: () => Promise<ActionResult<T>>,
): Promise<T> {
  const intentTenant = await logTenant(deps.tenants, what.tenant);
  const intent = randomUUID();
  // Fail closed: an action that cannot be written ahead does not start.
  await deps.audit.intend(intentTenant, intent, { ctx: { ...ctx }, what: { tenant: what.tenant, action: what.action, subject: what.subject ?? null, details: what.details ?? {} } }).catch((err: unknown) => {
    throw err instanceof AppError ? err : new AppError('AUDIT_UNAVAILABLE', undefined, { cause: err, params: { reason: (err as Error).message?.split('\n')[0]?.slice(0, 200) ?? 'unknown' } });
  });
  let result: ActionResult<T>;
  try {
    result = await run();
  } catch (err) {
    const failure = toAppError(err);
    await deps.audit
      .record(
        {
          ...ctx,
          tenant: intentTenant,
          action: what.action,
          outcome: 'failure',
          cause: `${failure.code.toLowerCase()}: ${failure.expose ? failure.message : 'internal error'}`,
          subject: what.subject ?? null,
          details: { ...(intentTenant !== what.tenant ? { tenant: what.tenant.slice(0, 100) } : {}), ...what.details },
        },
        { intent },
      )
      .catch(async (auditErr: unknown) => {
        deps.logger?.error(`audit: could not record the failure of ${what.action}: ${(auditErr as Error).message}`);
        // Nothing was changed: the write-ahead record goes (if it can).
        await deps.audit.abandon(intentTenant, intent).catch(() => undefined);
      });
    throw err;
  }
  // A creation can move the entry to the new tenant's own log (another slot than the record's).
  const tenant = await logTenant(deps.tenants, what.tenant);
  try {
    await deps.audit.record(
      { ...ctx, tenant, action: what.action, outcome: 'success', subject: result.subject ?? what.subject ?? null, details: { ...what.details, ...result.details } },
      tenant === intentTenant ? { intent } : {},
    );
  } catch (err) {
    // The entry is in the chain, only its replication is unconfirmed: the change stays with it
    // (an undo now would make the chain say what did not happen), and the caller hears 503.
    if (isUnconfirmed(err)) throw err;
    try {
      await result.undo?.();
      await deps.audit.abandon(intentTenant, intent).catch(() => undefined);
    } catch (undoErr) {
      // Left for resolveInterrupted: the change may stand, and its record says so.
      deps.logger?.error(`audit: ${what.action} could not be audited nor undone: ${(undoErr as Error).message}`, { tenant: what.tenant, action: what.action });
    }
    throw err instanceof AppError ? err : new AppError('AUDIT_UNAVAILABLE', undefined, { cause: err });
  }
  if (tenant !== intentTenant) await deps.audit.abandon(intentTenant, intent).catch((err: unknown) => deps.logger?.warn(`audit: write-ahead record of ${what.action} not cleared: ${(err as Error).message}`));
  return result.value;
}
