/**
 * Appends N audit entries to one tenant from this process, with many in flight at once, and
 * prints `{"appended":N,"ms":T}`. Used by the audit benchmark and by the test that runs two of
 * these OS processes against one tenant at the same time.
 *   node dist/bench/audit-append-worker.js <tenant> <count> [label]
 * Configuration (REDIS_URL, REDIS_PREFIX, ...) comes from the environment as for the gateway.
 */
import { AuditLog } from '../src/audit/audit-log.js';
import { RedisAuditStore } from '../src/audit/redis-audit-store.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { closeRedis, connectRedis, createRedis } from '../src/redis/client.js';

export async function appendEntries(log: AuditLog, tenant: string, count: number, label: string, inFlight = 1000): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await log.record({
        tenant,
        who: i % 3 === 0 ? `jill$user${i % 50}` : `user${i % 50}`,
        actor: { type: 'user', id: `id-${i % 50}`, name: `user${i % 50}`, tenant },
        subject: { type: 'user', id: `id-${(i + 1) % 50}`, name: `user${(i + 1) % 50}`, tenant },
        action: i % 1000 === 0 ? 'support.request.opened' : i % 2 === 0 ? 'login.succeeded' : 'token.issued',
        outcome: i % 7 === 0 ? 'failure' : 'success',
        channel: 'login',
        clientAddress: '127.0.0.1',
        userAgent: 'bench',
        requestId: `${label}-${i}`,
        details: { worker: label, n: i },
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [tenant = 'bench', countText = '10000', label = `p${process.pid}`] = process.argv.slice(2);
  const config = loadConfig();
  const redis = createRedis(config, { mode: 'server' });
  await connectRedis(redis, config);
  const log = new AuditLog(new RedisAuditStore(redis, config.redis.prefix), systemClock, undefined);
  const start = performance.now();
  await appendEntries(log, tenant, Number(countText), label);
  process.stdout.write(`${JSON.stringify({ appended: Number(countText), ms: Math.round(performance.now() - start) })}\n`);
  await closeRedis(redis);
}
