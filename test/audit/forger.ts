import { generateKeyPairSync } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DigestSigner, type SignedDigest } from '../../src/audit/digests.js';
import { hashEntry, type AuditEntry } from '../../src/audit/entry.js';
import type { RedisClient } from '../../src/redis/client.js';
import { tenantKey } from '../../src/redis/keys.js';

type Raw = [string, string[]];

/**
 * What an attacker with write access to Redis (and the source code) can do to a tenant's log:
 * change entry `position`, recompute its hash and every later one, rewrite the stream and move
 * the head. The plain chain check cannot tell. Returns the hashes before and after, by position.
 */
export async function rewriteHistory(
  redis: RedisClient | Redis,
  prefix: string,
  tenant: string,
  position: number,
  change: (e: AuditEntry) => AuditEntry,
): Promise<{ before: string[]; after: string[] }> {
  const stream = tenantKey(prefix, tenant, 'audit');
  const raw = (await redis.xrange(stream, '-', '+')) as Raw[];
  const entries = raw.map(([, f]) => JSON.parse(f[f.indexOf('e') + 1]!) as AuditEntry);
  const before = entries.map((e) => e.hash);
  let prev = entries[0]!.prev;
  const forged = entries.map((e) => {
    let next = e.seq === position ? change(e) : e;
    if (e.seq >= position) {
      const unsigned = { ...next, prev };
      next = { ...unsigned, hash: hashEntry(unsigned) };
    }
    prev = next.hash;
    return next;
  });
  await rewriteStream(redis, stream, forged.map((e) => [e.id, ['seq', String(e.seq), 'h', e.hash, 'e', JSON.stringify(e)]]));
  const last = forged.at(-1)!;
  await redis.hset(tenantKey(prefix, tenant, 'audit', 'head'), 'seq', String(last.seq), 'hash', last.hash, 'lastId', last.id);
  return { before, after: forged.map((e) => e.hash) };
}

/** Streams only append: a forger deletes the stream and writes it again, ids and all. */
export async function rewriteStream(redis: RedisClient | Redis, key: string, entries: Raw[]): Promise<void> {
  const p = redis.pipeline();
  p.del(key);
  for (const [id, fields] of entries) p.xadd(key, id, ...fields);
  await p.exec();
}

/** The stored digests of a tenant, as the forger reads them. */
export async function storedDigestEntries(redis: RedisClient | Redis, prefix: string, tenant: string): Promise<Raw[]> {
  return (await redis.xrange(tenantKey(prefix, tenant, 'audit', 'digests'), '-', '+')) as Raw[];
}

export const digestOf = (raw: Raw): SignedDigest => JSON.parse(raw[1][raw[1].indexOf('d') + 1]!) as SignedDigest;

/** A signer with a key of the forger's own: it signs well, but not with a key verify trusts. */
export function forgersSigner(): DigestSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return new DigestSigner(privateKey, publicKey);
}
