import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { redisServerInstalled, startPrivateRedis, type PrivateRedis } from '../src/demo/private-redis.js';

/**
 * Benchmarks run against a private redis-server of their own (same build as the shared one), so
 * a million entries neither crowd nor disturb the machine's Redis. Falls back to REDIS_URL.
 */
export async function benchRedis(): Promise<{ url: string; stop: () => Promise<void>; where: string }> {
  if (!redisServerInstalled()) {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    return { url, stop: async () => {}, where: `${url} (shared; redis-server not installed)` };
  }
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-'));
  const redis: PrivateRedis = await startPrivateRedis(dir, port);
  return { url: redis.url, stop: redis.stop, where: `private redis-server on port ${port} (AOF everysec)` };
}
