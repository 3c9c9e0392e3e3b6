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
 */
export async function audited<T>(
  deps: AuditedDeps,
  ctx: AuditContext,
  what: { tenant: string; action: AuditAction; subject?: Party | null; details?: Details },
  run: () => Promise<ActionResult<T>>,
): Promise<T> {
  let result: ActionResult<T>;
  try {
    result = await run();
  } catch (err) {
    const failure = toAppError(err);
    const tenant = await logTenant(deps.tenants, what.tenant);
    await deps.audit
      .record({
        ...ctx,
        tenant,
        action: what.action,
        outcome: 'failure',
        cause: `${failure.code.toLowerCase()}: ${failure.expose ? failure.message : 'internal error'}`,
        subject: what.subject ?? null,
        details: { ...(tenant !== what.tenant ? { tenant: what.tenant.slice(0, 100) } : {}), ...what.details },
      })
      .catch((auditErr: unknown) => deps.logger?.error(`audit: could not record the failure of ${what.action}: ${(auditErr as Error).message}`));
    throw err;
  }
  try {
    await deps.audit.record({
      ...ctx,
      tenant: await logTenant(deps.tenants, what.tenant),
      action: what.action,
      outcome: 'success',
      subject: result.subject ?? what.subject ?? null,
      details: { ...what.details, ...result.details },
    });
  } catch (err) {
    try {
      await result.undo?.();
    } catch (undoErr) {
      deps.logger?.error(`audit: ${what.action} could not be audited nor undone: ${(undoErr as Error).message}`, { tenant: what.tenant, action: what.action });
    }
    throw err instanceof AppError ? err : new AppError('AUDIT_UNAVAILABLE', undefined, { cause: err });
  }
  return result.value;
}
