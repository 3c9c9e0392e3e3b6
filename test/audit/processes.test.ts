import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisAuditStore } from '../../src/audit/redis-audit-store.js';
import { verifyTenantLog } from '../../src/audit/verify.js';
import type { RedisClient } from '../../src/redis/client.js';
import { runProcess } from '../support/cli.js';
import { openRedis, testConfig } from '../support/env.js';

describe('two gateway processes appending to one tenant', () => {
  const config = testConfig('audit-procs');
  let redis: RedisClient;
  beforeAll(async () => {
    redis = await openRedis(config);
  });
  afterAll(async () => redis.quit());

  it('end with one valid chain of exactly 20,000 entries', async () => {
    const env = { PATH: process.env.PATH, NODE_ENV: 'test', REDIS_URL: config.redis.url, REDIS_PREFIX: config.redis.prefix, DATA_DIR: config.dataDir };
    const worker = (label: string) => runProcess(process.execPath, ['dist/bench/audit-append-worker.js', 'acme', '10000', label], env);
    const [a, b] = await Promise.all([worker('a'), worker('b')]);
    expect(a).toMatchObject({ code: 0, stderr: '' });
    expect(b).toMatchObject({ code: 0, stderr: '' });
    const store = new RedisAuditStore(redis, config.redis.prefix);
    expect(await store.length('acme')).toBe(20000);
    expect(await verifyTenantLog(store, 'acme')).toEqual({ ok: true, tenant: 'acme', entries: 20000, firstSeq: 1, lastSeq: 20000 });
  }, 60_000);
});
