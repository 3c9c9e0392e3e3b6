import { AuditLog } from '../../src/audit/audit-log.js';
import type { AuditInput } from '../../src/audit/entry.js';
import { RedisAuditStore } from '../../src/audit/redis-audit-store.js';
import { ManualClock } from '../../src/clock.js';
import type { RedisClient } from '../../src/redis/client.js';

/** An audit log on real Redis whose clock moves 1 ms per entry (stream ids then leave gaps). */
export function auditLogOn(redis: RedisClient, prefix: string, start = Date.parse('2026-11-01T00:00:00Z')) {
  const clock = new ManualClock(start);
  const store = new RedisAuditStore(redis, prefix);
  const log = new AuditLog(store, { now: () => (clock.advance(1), clock.now()) }, undefined);
  return { clock, store, log };
}

export function loginEntry(tenant: string, i: number, extra: Partial<AuditInput> = {}): AuditInput {
  return {
    tenant,
    who: `user${i % 10}`,
    actor: { type: 'user', id: `id-${i % 10}`, name: `user${i % 10}`, tenant },
    action: 'login.succeeded',
    outcome: 'success',
    channel: 'login',
    requestId: `req-${i}`,
    ...extra,
  };
}
