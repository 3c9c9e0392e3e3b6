import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditLog } from '../../src/audit/audit-log.js';
import { hashEntry, GENESIS_HASH } from '../../src/audit/entry.js';
import { RedisAuditStore } from '../../src/audit/redis-audit-store.js';
import { verifyTenantLog } from '../../src/audit/verify.js';
import { ManualClock } from '../../src/clock.js';
import { AppError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { actorKey, tenantKey } from '../../src/redis/keys.js';
import type { RedisClient } from '../../src/redis/client.js';
import { openRedis, testConfig } from '../support/env.js';
import { loginEntry } from './support.js';

describe('audit log', () => {
  const config = testConfig('audit-log');
  let redis: RedisClient;
  let store: RedisAuditStore;
  let log: AuditLog;
  let logged = '';
  const clock = new ManualClock(Date.parse('2026-11-22T10:00:00.000Z'));

  beforeAll(async () => {
    redis = await openRedis(config);
    store = new RedisAuditStore(redis, config.redis.prefix);
    const out = new PassThrough();
    out.on('data', (d: Buffer) => (logged += d.toString()));
    log = new AuditLog(store, clock, createLogger({ logLevel: 'info', logFormat: 'json' }, out));
  });
  afterAll(async () => redis.quit());

  it('records an entry with id, position, time in UTC ms, the previous hash and its own hash', async () => {
    const entry = await log.record({
      tenant: 'acme',
      who: 'jill$john',
      actor: { type: 'user', id: 'jill-id', name: 'jill', tenant: 'management' },
      subject: { type: 'user', id: 'john-id', name: 'john', tenant: 'acme' },
      action: 'login.succeeded',
      outcome: 'success',
      channel: 'login',
      clientAddress: '203.0.113.7',
      userAgent: 'Firefox',
      clientId: 'portal',
      requestId: 'r-1',
      details: { amr: ['pwd'] },
    });
    expect(entry).toMatchObject({ id: `${clock.now()}-0`, seq: 1, prev: GENESIS_HASH, time: '2026-11-22T10:00:00.000Z', who: 'jill$john', cause: null });
    expect(entry.hash).toBe(hashEntry(entry));
    const second = await log.record(loginEntry('acme', 1));
    expect(second).toMatchObject({ id: `${clock.now()}-1`, seq: 2, prev: entry.hash });
  });

  it('writes each entry as one JSON line tagged audit to the application log', async () => {
    const lines = logged.trim().split('\n').map((l) => JSON.parse(l) as { audience: string; entry: { who: string } });
    expect(lines[0]).toMatchObject({ message: 'audit', audience: 'audit', entry: { who: 'jill$john' } });
    expect(lines).toHaveLength(2);
  });

  it('keeps one valid chain under thousands of concurrent records, positions without gaps', async () => {
    const entries = await Promise.all(Array.from({ length: 5000 }, (_, i) => log.record(loginEntry('beta', i))));
    expect(entries.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
    expect(await verifyTenantLog(store, 'beta')).toMatchObject({ ok: true, entries: 5000 });
  });

  it('refuses entries outside the catalogue or carrying secret-named details, saying why', async () => {
    await expect(log.record({ ...loginEntry('acme', 1), action: 'user.deleted' as 'logout' })).rejects.toThrow(/not an action of the audit catalogue/);
    await expect(log.record({ ...loginEntry('acme', 1), details: { password: 'x' } })).rejects.toThrow(/must not carry secrets/);
  });

  it('fails closed: when the entry cannot be written, record rejects with a clear error', async () => {
    await redis.set(tenantKey(config.redis.prefix, 'broken', 'audit'), 'not a stream');
    const err = (await log.record(loginEntry('broken', 1)).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('AUDIT_UNAVAILABLE');
    expect(err.message).toMatch(/^the audit log cannot be written \(.*WRONGTYPE.*\); the action was refused$/);
  });

  it("a support user's entry is in the cross-tenant index before it is in the chain: if the index cannot be written, nothing is stored and the action fails", async () => {
    await redis.set(actorKey(config.redis.prefix, 'idx-broken', 'audit', 'refs'), 'not a stream');
    const err = (await log.record({ ...loginEntry('delta', 1), actor: { type: 'user', id: 'idx-broken', name: 'jill', tenant: 'management' } }).catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('AUDIT_UNAVAILABLE');
    // No success entry claims an action that audited() is about to undo.
    expect(await verifyTenantLog(store, 'delta')).toMatchObject({ ok: true, entries: 0 });
    // Every entry that is in a chain has its ref.
    const ok = await log.record({ ...loginEntry('delta', 2), actor: { type: 'user', id: 'idx-fine', name: 'jill', tenant: 'management' } });
    expect((await store.newestRefs('idx-fine', '+', 10)).map((r) => r.id)).toEqual([ok.id]);
  });

  it('tells subscribers of every entry once it is in its chain; a failing subscriber fails nothing', async () => {
    const seen: { seq: number; storedSeq: number }[] = [];
    const pending: Promise<void>[] = [];
    const stop = log.subscribe((entry) => {
      if (entry.tenant !== 'epsilon') return;
      pending.push(store.head('epsilon').then((head) => void seen.push({ seq: entry.seq, storedSeq: head.seq })));
    });
    const stopFailing = log.subscribe(() => {
      throw new Error('listener broke');
    });
    await Promise.all([1, 2, 3].map((i) => log.record(loginEntry('epsilon', i))));
    await Promise.all(pending);
    expect(seen.map((s) => s.seq).sort()).toEqual([1, 2, 3]);
    for (const s of seen) expect(s.storedSeq).toBeGreaterThanOrEqual(s.seq);
    stop();
    stopFailing();
    await log.record(loginEntry('epsilon', 4));
    expect(seen).toHaveLength(3);
    expect(logged).toContain('audit listener failed: listener broke');
  });

  it('chains onto entries another process appended meanwhile', async () => {
    const other = new AuditLog(store, clock, undefined);
    await log.record(loginEntry('gamma', 1));
    await other.record(loginEntry('gamma', 2));
    const third = await log.record(loginEntry('gamma', 3)); // its cached head is stale now
    expect(third.seq).toBe(3);
    expect(await verifyTenantLog(store, 'gamma')).toMatchObject({ ok: true, entries: 3 });
  });
});
