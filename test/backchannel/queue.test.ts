import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Config } from '../../src/config.js';
import { RedisLogoutQueue, type LogoutJob } from '../../src/oidc/backchannel-queue.js';
import type { RedisClient } from '../../src/redis/client.js';
import { openRedis, testConfig } from '../support/env.js';

const job = (sid: string): LogoutJob => ({ tenant: 'acme', clientId: 'app1', sid, sub: 'u1', who: 'john', actor: null, subject: null, trigger: 'logout', queuedAt: 0 });

describe('the logout queue in Redis', () => {
  let config: Config;
  let a: RedisClient;
  let b: RedisClient;
  beforeAll(async () => {
    config = testConfig('bcl-queue');
    [a, b] = await Promise.all([openRedis(config), openRedis(config)]);
  });
  afterAll(async () => void (await Promise.all([a.quit(), b.quit()])));

  it('two processes claiming at once take each due logout exactly once', async () => {
    const qa = new RedisLogoutQueue(a, `${config.redis.prefix}race:`);
    const qb = new RedisLogoutQueue(b, `${config.redis.prefix}race:`);
    for (let i = 0; i < 40; i++) await qa.enqueue(job(`sid-${i}`), 1000);
    const taken: string[] = [];
    const drain = async (q: RedisLogoutQueue) => {
      for (let round = 0; round < 20; round++) for (const c of await q.claim(2000, 60_000, 3)) taken.push(c.job.sid);
    };
    await Promise.all([drain(qa), drain(qb)]);
    expect(taken.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `sid-${i}`).sort());
  });

  it('a logout is queued once, due only when its time comes, and only its newest claim settles it', async () => {
    const q = new RedisLogoutQueue(a, `${config.redis.prefix}once:`);
    expect(await q.enqueue(job('s'), 5000)).toBe(true);
    expect(await q.enqueue(job('s'), 5000)).toBe(false);
    expect(await q.claim(4999, 1000, 10)).toEqual([]);
    const [first] = await q.claim(5000, 1000, 10);
    expect(first!.attempt).toBe(1);
    // Its process stalls past the lease; another takes it over.
    const [second] = await q.claim(6000, 1000, 10);
    expect(second!.attempt).toBe(2);
    expect(await q.finish(first!, 'delivered')).toBe(false);
    expect(await q.retry(second!, 9000)).toBe(true);
    expect(await q.claim(8999, 1000, 10)).toEqual([]);
    const [third] = await q.claim(9000, 1000, 10);
    expect(await q.finish(third!, 'delivered')).toBe(true);
    expect(await q.size()).toBe(0);
    // Delivered: the same logout queued again (another process's sweep) is not delivered twice.
    expect(await q.enqueue(job('s'), 10_000)).toBe(false);
    expect(await q.claim(20_000, 1000, 10)).toEqual([]);
  });
});
