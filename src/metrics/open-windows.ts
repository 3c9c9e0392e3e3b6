import type { Clock } from '../clock.js';
import type { SupportWindowStore } from '../support-access/store.js';
import type { TenantStore } from '../tenants/tenants.js';

/**
 * How many tenants have a support window open now (its end is later than now). Read on a scrape
 * (GatewayMetrics caches it), never on a request: one read of the registry, then each tenant's
 * window, sent together (auto-pipelining leaves them in one write per slot).
 */
export async function countOpenWindows(deps: { tenants: Pick<TenantStore, 'list'>; windows: Pick<SupportWindowStore, 'read'>; clock: Clock }): Promise<number> {
  const tenants = await deps.tenants.list();
  const windows = await Promise.all(tenants.map((t) => deps.windows.read(t.id)));
  const now = deps.clock.now();
  return windows.filter((w) => w.end !== null && w.end > now).length;
}
