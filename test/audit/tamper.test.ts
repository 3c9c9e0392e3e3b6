import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hashEntry, type AuditEntry } from '../../src/audit/entry.js';
import { verifyTenantLog } from '../../src/audit/verify.js';
import { tenantKey } from '../../src/redis/keys.js';
import type { RedisClient } from '../../src/redis/client.js';
import { openRedis, testConfig } from '../support/env.js';
import { auditLogOn, loginEntry } from './support.js';

type Raw = [string, string[]];

describe('tamper evidence', () => {
  const config = testConfig('tamper');
  const prefix = config.redis.prefix;
  const stream = tenantKey(prefix, 'acme', 'audit');
  const N = 2500;
  let redis: RedisClient;
  let original: Raw[];
  let audit: ReturnType<typeof auditLogOn>;

  // Rewrites the whole stream as a forger with Redis access would (streams only append).
  async function rewrite(entries: Raw[]): Promise<void> {
    const p = redis.pipeline();
    p.del(stream);
    for (const [id, fields] of entries) p.xadd(stream, id, ...fields);
    await p.exec();
  }

  const randomIndex = (from = 0, to = N - 1) => from + Math.floor(Math.random() * (to - from + 1));
  const parse = (r: Raw) => JSON.parse(r[1][5]!) as AuditEntry;
  const withEntry = (r: Raw, e: AuditEntry): Raw => [r[0], ['seq', String(e.seq), 'h', e.hash, 'e', JSON.stringify(e)]];

  async function expectBrokenAt(position: number, reason: RegExp): Promise<void> {
    const result = await verifyTenantLog(audit.store, 'acme');
    expect(result).toMatchObject({ ok: false, position, reason: expect.stringMatching(reason) });
  }

  beforeAll(async () => {
    redis = await openRedis(config);
    audit = auditLogOn(redis, prefix);
    await Promise.all(Array.from({ length: N }, (_, i) => audit.log.record(loginEntry('acme', i))));
    original = (await redis.xrange(stream, '-', '+')) as Raw[];
    expect(original).toHaveLength(N);
    expect(await verifyTenantLog(audit.store, 'acme')).toEqual({ ok: true, tenant: 'acme', entries: N, firstSeq: 1, lastSeq: N });
  });
  afterAll(async () => redis.quit());

  it('catches an edited entry, every time, at its position', async () => {
    for (let round = 0; round < 25; round++) {
      const i = randomIndex();
      const copy = [...original];
      const e = parse(copy[i]!);
      copy[i] = withEntry(copy[i]!, { ...e, outcome: e.outcome === 'success' ? 'failure' : 'success' });
      await rewrite(copy);
      await expectBrokenAt(i + 1, /was changed/);
    }
  });

  it('catches an edited entry whose hash the forger recomputed, at the entry after it', async () => {
    for (let round = 0; round < 25; round++) {
      const i = randomIndex(0, N - 2);
      const copy = [...original];
      const forged = { ...parse(copy[i]!), who: 'nobody' };
      copy[i] = withEntry(copy[i]!, { ...forged, hash: hashEntry(forged) });
      await rewrite(copy);
      await expectBrokenAt(i + 2, /does not continue the previous entry/);
    }
  });

  it('catches a deleted entry, every time, where the gap is', async () => {
    for (let round = 0; round < 25; round++) {
      const i = randomIndex();
      const copy = original.filter((_, j) => j !== i);
      await rewrite(copy);
      // The entry after the gap no longer fits; a deleted newest entry shows against the head.
      await expectBrokenAt(i + 1, i === N - 1 ? /newest entry is missing/ : /1 entry is missing before it/);
    }
  });

  it('catches an inserted entry, every time, where the chain breaks', async () => {
    for (let round = 0; round < 25; round++) {
      const i = randomIndex(0, N - 2);
      const before = parse(original[i]!);
      const [ms, n] = original[i]![0].split('-').map(Number) as [number, number];
      const id = `${ms}-${n + 1}`; // ids advance 1 ms per entry, so this one fits between
      const unsigned = { ...before, id, seq: before.seq + 1, prev: before.hash, requestId: 'forged' };
      const forged = { ...unsigned, hash: hashEntry(unsigned) };
      const copy = [...original.slice(0, i + 1), withEntry([id, []], forged), ...original.slice(i + 1)];
      await rewrite(copy);
      await expectBrokenAt(i + 3, /inserted or reordered/);
    }
  });

  it('catches two swapped entries, every time, at the first of them', async () => {
    for (let round = 0; round < 25; round++) {
      const i = randomIndex(0, N - 2);
      const copy = [...original];
      // The forger keeps the stream ids in order and swaps what is stored under them.
      copy[i] = [original[i]![0], original[i + 1]![1]];
      copy[i + 1] = [original[i + 1]![0], original[i]![1]];
      await rewrite(copy);
      await expectBrokenAt(i + 1, /was moved/);
    }
  });

  it('verifies again once the original is back', async () => {
    await rewrite(original);
    expect((await verifyTenantLog(audit.store, 'acme')).ok).toBe(true);
  });
});
