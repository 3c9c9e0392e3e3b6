import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config.js';
import { createDomain, type Domain } from '../../src/domain.js';
import { connectRedis, createRedis, type RedisClient } from '../../src/redis/client.js';
import { loadKeyMaterial } from '../../src/secrets/keys.js';

const SHARED_REDIS = process.env.SG_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of this suite under the run's prefix: teardown removes it with the run. */
export function testPrefix(name: string): string {
  const run = process.env.SG_TEST_RUN_PREFIX;
  if (!run) throw new Error('SG_TEST_RUN_PREFIX is not set: run the tests through jest (npm test)');
  return `${run}${name}-${Math.random().toString(36).slice(2, 8)}:`;
}

/** Test configuration: the shared Redis under a unique prefix, a private DATA_DIR. */
export function testConfig(name: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    env: {
      NODE_ENV: 'test',
      REDIS_URL: SHARED_REDIS,
      REDIS_PREFIX: testPrefix(name),
      DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-data-')),
      PORT: '0',
      ...env,
    },
  });
}

export function clusterConfig(name: string, nodes: string[]): Config {
  return testConfig(name, { REDIS_CLUSTER_NODES: nodes.join(',') });
}

export async function openRedis(config: Config): Promise<RedisClient> {
  const redis = createRedis(config, { mode: 'server' });
  await connectRedis(redis, config);
  return redis;
}

export async function openDomain(config: Config): Promise<{ redis: RedisClient; domain: Domain; close(): Promise<void> }> {
  const redis = await openRedis(config);
  const keys = await loadKeyMaterial(config);
  const domain = createDomain(config, redis, keys.clientSecretsKey);
  return { redis, domain, close: async () => void (await redis.quit()) };
}

/** Every key under a prefix on the shared Redis (the prefix is this suite's own). */
export async function keysUnder(prefix: string): Promise<string[]> {
  const redis = new Redis(SHARED_REDIS);
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  await redis.quit();
  return found;
}

/** Everything stored under a prefix on the shared Redis, as text: for checking that no secret is in it. */
export async function dumpUnder(prefix: string): Promise<string> {
  const redis = new Redis(SHARED_REDIS);
  const parts: string[] = [];
  for (const key of await keysUnder(prefix)) {
    const type = await redis.type(key);
    const value =
      type === 'string' ? await redis.get(key)
      : type === 'hash' ? await redis.hgetall(key)
      : type === 'zset' ? await redis.zrange(key, '0', '-1')
      : type === 'set' ? await redis.smembers(key)
      : type === 'stream' ? await redis.xrange(key, '-', '+')
      : type === 'list' ? await redis.lrange(key, '0', '-1')
      : `(${type})`;
    parts.push(`${key} ${JSON.stringify(value)}`);
  }
  await redis.quit();
  return parts.join('\n');
}
