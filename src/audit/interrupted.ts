import { hostname } from 'node:os';
import type { Logger } from '../logger.js';
import { MANAGEMENT_TENANT, type TenantStore } from '../tenants/tenants.js';
import type { AuditLog, Intent } from './audit-log.js';

/** How old a write-ahead record of another machine must be before it counts as interrupted. */
export const INTERRUPTED_AFTER_MS = 60_000;

export interface InterruptedDeps {
  audit: AuditLog;
  tenants: Pick<TenantStore, 'list'>;
  logger?: Logger | undefined;
}

/** Is the process that wrote a record gone? On this machine we can ask; elsewhere only time tells. */
function ownerGone(intent: Intent, now: number): boolean {
  const { host, pid, since } = intent.owner;
  if (host !== hostname()) return now - intent.at > INTERRUPTED_AFTER_MS;
  // This very process (same pid, same start): an action still under way, unless stuck for long.
  if (pid === process.pid && since === performance.timeOrigin) return now - intent.at > INTERRUPTED_AFTER_MS * 10;
  // An earlier process with our pid (a restarted container is pid 1 again) is gone.
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return now - intent.at > INTERRUPTED_AFTER_MS * 10; // alive, or its pid was reused: only when very old
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Completes the entries of actions whose process died between the change and its entry: each
 * write-ahead record left behind becomes an entry of its action and subject, outcome failure,
 * cause "interrupted", saying the change may have been made. The append clears the record in the
 * same step; a claim makes exactly one process write it. Runs at every gateway start, every
 * minute in every gateway, and before every CLI action.
 */
export async function resolveInterrupted(deps: InterruptedDeps, now: number): Promise<number> {
  const tenants = [MANAGEMENT_TENANT, ...(await deps.tenants.list()).map((t) => t.id).filter((t) => t !== MANAGEMENT_TENANT)];
  let resolved = 0;
  for (const tenant of tenants) {
    for (const { id, json } of await deps.audit.intentsOf.intents(tenant)) {
      const intent = JSON.parse(json) as Intent;
      if (!ownerGone(intent, now)) continue;
      if (!(await deps.audit.intentsOf.claimIntent(tenant, id))) continue;
      await deps.audit.record(
        {
          ...intent.ctx,
          tenant,
          action: intent.what.action,
          outcome: 'failure',
          cause: 'interrupted: the process ended between the change and its entry; the change may have been made',
          subject: intent.what.subject ?? null,
          details: { ...intent.what.details, interruptedStartedAt: new Date(intent.at).toISOString(), interruptedHost: intent.owner.host.slice(0, 100), interruptedPid: intent.owner.pid },
        },
        { intent: id },
      );
      deps.logger?.warn(`audit: completed the entry of an interrupted ${intent.what.action} in ${tenant} (started ${new Date(intent.at).toISOString()})`);
      resolved++;
    }
  }
  return resolved;
}
