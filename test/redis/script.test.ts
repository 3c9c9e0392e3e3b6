import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppError } from '../../src/errors.js';
import type { RedisClient } from '../../src/redis/client.js';
import { tenantKey } from '../../src/redis/keys.js';
import { updateJson } from '../../src/redis/script.js';
import { openRedis, testConfig } from '../support/env.js';

describe('read-modify-write of a JSON record', () => {
  const config = testConfig('redis-script');
  let redis: RedisClient;
  beforeAll(async () => {
    redis = await openRedis(config);
  });
  afterAll(async () => void (await redis.quit()));

  it('that keeps losing to other writers gives up with a 409 CONFLICT from the catalogue, not a server error', async () => {
    const key = tenantKey(config.redis.prefix, 'acme', 'contended');
    await redis.set(key, JSON.stringify({ n: 0 }));
    let n = 0;
    // Another writer changes the record between every read and write of this one.
    const attempt = updateJson<{ n: number }>(redis, key, (raw) => JSON.parse(raw) as { n: number }, (cur) => {
      void redis.set(key, JSON.stringify({ n: ++n + 1000 }));
      return { n: (cur?.n ?? 0) + 1 };
    }, 3);
    const err = (await attempt.catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect({ code: err.code, status: err.status }).toEqual({ code: 'CONFLICT', status: 409 });
  });
});
