import { Redis } from 'ioredis';

/** Removes exactly this run's keys from the shared Redis (SCAN by prefix, never FLUSH) */
export default async function globalTeardown(): Promise<void> {
  const prefix = process.env.SG_TEST_RUN_PREFIX;
  if (prefix) {
    const redis = new Redis(process.env.SG_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    await redis.quit();
  }
}
