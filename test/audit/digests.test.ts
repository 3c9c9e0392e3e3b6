import { generateKeyPairSync } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditDigester, DigestKeyring, DigestSigner, digestHash, type SignedDigest } from '../../src/audit/digests.js';
import { RedisDigestStore } from '../../src/audit/redis-digest-store.js';
import { verifyTenantLog, type VerifyResult } from '../../src/audit/verify.js';
import { createLogger } from '../../src/logger.js';
import type { RedisClient } from '../../src/redis/client.js';
import { tenantKey } from '../../src/redis/keys.js';
import { openRedis, testConfig } from '../support/env.js';
import { digestOf, forgersSigner, rewriteHistory, rewriteStream, storedDigestEntries } from './forger.js';
import { auditLogOn, loginEntry } from './support.js';

const EVERY = 5;

describe('signed audit digests', () => {
  const config = testConfig('digests');
  const prefix = config.redis.prefix;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const signer = new DigestSigner(privateKey, publicKey);
  const keyring = new DigestKeyring([publicKey]);
  let redis: RedisClient;
  let audit: ReturnType<typeof auditLogOn>;
  let digests: RedisDigestStore;
  let digester: AuditDigester;
  let logged = '';
  // The digester's timer, fired by hand: "M seconds passed".
  let timer: { ms: number; fire: () => void } | undefined;
  const tenants = ['acme', 'beta', 'gamma', 'delta', 'eps', 'zeta', 'eta'];

  const digestsOf = async (tenant: string) => (await storedDigestEntries(redis, prefix, tenant)).map(digestOf);
  const verify = (tenant: string) => verifyTenantLog(audit.store, tenant, undefined, { store: digests, keyring });
  /** Records entries one after the other, letting each digest it triggers finish (positions are then exact). */
  async function record(tenant: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      await audit.log.record(loginEntry(tenant, i));
      await digester.settled();
    }
  }
  const problemsOf = (r: VerifyResult) => r.digests!.problems.map((p) => p.reason);

  beforeAll(async () => {
    redis = await openRedis(config);
    audit = auditLogOn(redis, prefix);
    digests = new RedisDigestStore(redis, prefix);
    const out = new PassThrough();
    out.on('data', (d: Buffer) => (logged += d.toString()));
    digester = new AuditDigester({
      chain: audit.store, digests, signer, clock: audit.clock, logger: createLogger({ logLevel: 'info', logFormat: 'json' }, out),
      tenants: async () => tenants, everyEntries: EVERY, everySeconds: 60,
      every: (ms, fire) => {
        timer = { ms, fire };
        return () => (timer = undefined);
      },
    });
    audit.log.subscribe((e) => digester.observe(e));
    digester.start();
  });
  afterAll(async () => {
    await digester.stop();
    await redis.quit();
  });

  it('signs a tenant\'s head after every N entries, chains each digest to the one before, and writes it to the application log', async () => {
    await record('acme', 12);
    const signed = await digestsOf('acme');
    expect(signed.map((d) => d.seq)).toEqual([5, 10]);
    expect(signed[0]).toMatchObject({ v: 1, alg: 'Ed25519', keyId: signer.keyId, tenant: 'acme', prevSeq: 0, prevDigest: null });
    expect(signed[1]).toMatchObject({ prevSeq: 5, prevDigest: digestHash(signed[0]!) });
    expect(signed.map((d) => keyring.problem(d))).toEqual([null, null]);
    const lines = logged.trim().split('\n').map((l) => JSON.parse(l) as { message: string; audience: string; digest: SignedDigest });
    expect(lines.filter((l) => l.audience === 'audit-digest').map((l) => l.digest)).toEqual(signed);

    const result = await verify('acme');
    expect(result).toMatchObject({ ok: true, entries: 12, digests: { digests: 2, matched: 2, newest: { seq: 10 }, uncovered: 2, problems: [] } });
  });

  it('every M seconds signs each tenant whose chain moved, also entries another process or the CLI recorded, and nothing for one that did not', async () => {
    expect(timer?.ms).toBe(60_000);
    await record('beta', 2);
    // Another process (the CLI) records into gamma: this digester never observes it.
    const other = auditLogOn(redis, prefix, Date.parse('2026-12-01T00:00:00Z'));
    await other.log.record(loginEntry('gamma', 0));
    expect(await digestsOf('beta')).toEqual([]);

    timer!.fire();
    await digester.settled();
    expect((await digestsOf('beta')).map((d) => d.seq)).toEqual([2]);
    expect((await digestsOf('gamma')).map((d) => d.seq)).toEqual([1]);
    expect((await digestsOf('acme')).map((d) => d.seq)).toEqual([5, 10, 12]);

    timer!.fire();
    await digester.settled();
    expect((await digestsOf('beta')).map((d) => d.seq)).toEqual([2]);
    expect((await digestsOf('acme')).map((d) => d.seq)).toEqual([5, 10, 12]);
  });

  it('reports a history rewritten with every hash recomputed and the head moved, which the chain check alone calls OK', async () => {
    await record('delta', 30);
    const { before, after } = await rewriteHistory(redis, prefix, 'delta', 12, (e) => ({ ...e, who: 'nobody', outcome: 'failure' }));

    // What `audit verify` said before digests: every hash matches, the chain is intact.
    expect(await verifyTenantLog(audit.store, 'delta')).toEqual({ ok: true, tenant: 'delta', entries: 30, firstSeq: 1, lastSeq: 30 });

    const result = await verify('delta');
    expect(result).toMatchObject({ ok: false, position: 15, entries: 30 });
    expect(result.ok ? '' : result.reason).toBe(
      `history rewritten at or before position 15 (after position 10, whose digest still matches): the digest of ${(await digestsOf('delta'))[2]!.time} signed hash ${before[14]}, the chain now has ${after[14]}`,
    );
    expect(result.digests).toMatchObject({ digests: 6, matched: 2 });
    expect(result.digests!.problems.map((p) => p.seq)).toEqual([15, 20, 25, 30]);

    // The gateway notices too, when it next signs the tenant.
    logged = '';
    await record('delta', 1);
    await digester.digest('delta');
    expect(logged).toContain(`"level":"error","message":"audit history of delta was rewritten at or before position 30: the digest of`);
  });

  it('reports a history cut short with its head moved back', async () => {
    await record('eta', 20);
    const stream = tenantKey(prefix, 'eta', 'audit');
    const kept = ((await redis.xrange(stream, '-', '+')) as [string, string[]][]).slice(0, 12);
    await rewriteStream(redis, stream, kept);
    const last = JSON.parse(kept.at(-1)![1][5]!) as { seq: number; hash: string; id: string };
    await redis.hset(tenantKey(prefix, 'eta', 'audit', 'head'), 'seq', String(last.seq), 'hash', last.hash, 'lastId', last.id);

    expect((await verifyTenantLog(audit.store, 'eta')).ok).toBe(true);
    const result = await verify('eta');
    expect(result).toMatchObject({ ok: false, position: 13, id: null });
    expect(problemsOf(result)).toEqual([
      expect.stringMatching(/^history rewritten: the digest of \S+ signed position 15, but the chain now ends at position 12$/),
      expect.stringMatching(/^history rewritten: the digest of \S+ signed position 20, but the chain now ends at position 12$/),
    ]);
  });

  it('reports a digest signed with a key verify does not trust, a forged signature, and a deleted digest', async () => {
    await record('eps', 20);
    const original = await storedDigestEntries(redis, prefix, 'eps');
    const key = tenantKey(prefix, 'eps', 'audit', 'digests');
    expect(original.map(digestOf).map((d) => d.seq)).toEqual([5, 10, 15, 20]);

    // A forger re-signs the digest for position 10 with a key of their own.
    const d10 = digestOf(original[1]!);
    const forged = forgersSigner().sign({ ...d10, hash: 'f'.repeat(64) });
    await rewriteStream(redis, key, original.map((r, i) => (i === 1 ? [r[0], ['seq', '10', 'd', JSON.stringify(forged)]] : r)));
    let result = await verify('eps');
    expect(result).toMatchObject({ ok: false, position: 10 });
    expect(problemsOf(result)).toEqual([
      `the digest for position 10 (${d10.time}) is signed by key ${forged.keyId}, which is not a trusted digest key (AUDIT_DIGEST_PUBLIC_KEYS)`,
      `the digest for position 15 (${digestOf(original[2]!).time}) does not follow the digest stored before it (position 10): a digest was replaced or reordered`,
    ]);

    // ... or keeps our key's id and writes a signature of its own.
    const altered = { ...d10, hash: 'f'.repeat(64) };
    await rewriteStream(redis, key, original.map((r, i) => (i === 1 ? [r[0], ['seq', '10', 'd', JSON.stringify(altered)]] : r)));
    result = await verify('eps');
    expect(problemsOf(result)[0]).toBe(`the digest for position 10 (${d10.time}) has a signature that does not verify: it was forged or altered`);

    // A deleted digest leaves the next one pointing at it.
    await rewriteStream(redis, key, original.filter((_, i) => i !== 1));
    result = await verify('eps');
    expect(result).toMatchObject({ ok: false, position: 15 });
    expect(problemsOf(result)).toEqual([
      `digests were deleted: the digest for position 15 (${digestOf(original[2]!).time}) follows the digest for position 10, but the one stored before it is for position 5`,
    ]);
    await rewriteStream(redis, key, original.slice(1));
    expect(problemsOf(await verify('eps'))).toEqual([
      `digests were deleted: the digest for position 10 (${d10.time}) follows the digest for position 5, and none is stored before it`,
    ]);

    await rewriteStream(redis, key, original);
    expect(await verify('eps')).toMatchObject({ ok: true, digests: { digests: 4, matched: 4, problems: [] } });
  });

  it('after retention, checks the digest at the anchor against it, skips older ones, and trims digests of removed positions', async () => {
    await record('zeta', 20);
    const ids = ((await redis.xrange(tenantKey(prefix, 'zeta', 'audit'), '-', '+')) as [string, string[]][]).map(([id]) => id);
    // Trim the 10 oldest: the anchor is position 10, where a digest is.
    await audit.store.trimBefore('zeta', Number(ids[10]!.split('-')[0]));
    expect(await audit.store.anchor('zeta')).toMatchObject({ seq: 10 });
    expect(await verify('zeta')).toMatchObject({ ok: true, entries: 10, firstSeq: 11, digests: { digests: 4, matched: 3, beforeRetention: 1, problems: [] } });

    await digester.trimCovered(['zeta']);
    expect((await digestsOf('zeta')).map((d) => d.seq)).toEqual([10, 15, 20]);
    expect(await verify('zeta')).toMatchObject({ ok: true, digests: { digests: 3, matched: 3, beforeRetention: 0, problems: [] } });
    // Deleting the oldest kept digest still shows against the digests' own anchor.
    const key = tenantKey(prefix, 'zeta', 'audit', 'digests');
    await rewriteStream(redis, key, (await storedDigestEntries(redis, prefix, 'zeta')).slice(1));
    expect(problemsOf(await verify('zeta'))).toEqual([expect.stringMatching(/^digests were deleted: the digest for position 15 .* follows the digest for position 10, but the one stored before it is for position 5$/)]);
  });

  it('with two gateway processes signing one tenant at once, each position is signed once and the digests form one chain', async () => {
    const second = new AuditDigester({ chain: audit.store, digests, signer, clock: audit.clock, tenants: async () => tenants, everyEntries: 3, everySeconds: 60, every: () => () => undefined });
    const stop = audit.log.subscribe((e) => second.observe(e));
    await Promise.all(Array.from({ length: 200 }, (_, i) => audit.log.record(loginEntry('theta', i))));
    await Promise.all([digester.settled(), second.settled()]);
    stop();
    let seqs = (await digestsOf('theta')).map((d) => d.seq);
    expect(seqs.at(-1)).toBe(200);
    expect([...seqs].sort((a, b) => a - b)).toEqual([...new Set(seqs)]);

    // Both see the same new head and sign it; the compare-and-set keeps one.
    await auditLogOn(redis, prefix, Date.parse('2026-12-02T00:00:00Z')).log.record(loginEntry('theta', 201));
    const made = await Promise.all([digester.digest('theta'), second.digest('theta')]);
    expect(made.filter((d) => d !== null).map((d) => d!.seq)).toEqual([201]);
    seqs = (await digestsOf('theta')).map((d) => d.seq);
    expect(seqs.slice(-2)).toEqual([200, 201]);
    expect(await verify('theta')).toMatchObject({ ok: true, entries: 201, digests: { digests: seqs.length, matched: seqs.length, problems: [], uncovered: 0 } });
  });
});
