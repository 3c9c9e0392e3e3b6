import type { Clock } from '../clock.js';
import type { TenantStore } from '../tenants/tenants.js';
import type { AuditStore } from './store.js';

const DAY = 86_400_000;

/**
 * Trims every tenant's entries older than `retentionDays` (0 keeps everything). The newest
 * trimmed entry becomes the anchor the first kept entry is verified against.
 */
export async function applyRetention(store: AuditStore, tenants: TenantStore, clock: Clock, retentionDays: number): Promise<Record<string, number>> {
  if (retentionDays <= 0) return {};
  const cutoff = clock.now() - retentionDays * DAY;
  const removed: Record<string, number> = {};
  for (const t of await tenants.list()) {
    const n = await store.trimBefore(t.id, cutoff);
    if (n > 0) removed[t.id] = n;
  }
  return removed;
}
