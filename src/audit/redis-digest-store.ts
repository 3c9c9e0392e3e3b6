import type { RedisClient } from '../redis/client.js';
import { tenantKey } from '../redis/keys.js';
import { Script } from '../redis/script.js';
import { digestHash, storedDigests, type DigestAnchor, type DigestStore, type SignedDigest } from './digests.js';

// A tenant's digests are one stream beside its audit stream, under the same tenant hash tag; the
// newest digest (whole, so a digester reads it in one call) and the retention anchor sit beside
// it. Storing a digest checks and moves the newest in one script, so processes that sign at once
// cannot fork the digest chain.
const keys = {
  stream: (p: string, t: string) => tenantKey(p, t, 'audit', 'digests'),
  newest: (p: string, t: string) => tenantKey(p, t, 'audit', 'digests', 'newest'),
  anchor: (p: string, t: string) => tenantKey(p, t, 'audit', 'digests', 'anchor'),
};

// KEYS: stream, newest. ARGV: the digest hash it chains onto ('' for none), seq, its own digest hash, json.
const appendScript = new Script(
  'audit-digest-append',
  `local cur = redis.call('HMGET', KEYS[2], 'digest', 'json')
   if (cur[1] or '') ~= ARGV[1] then return {0, cur[2] or ''} end
   redis.call('XADD', KEYS[1], '*', 'seq', ARGV[2], 'd', ARGV[4])
   redis.call('HSET', KEYS[2], 'seq', ARGV[2], 'digest', ARGV[3], 'json', ARGV[4])
   return {1}`,
);

// KEYS: stream, anchor. ARGV: anchor seq, anchor digest hash, first id kept.
// The anchor only moves forward: a trim that read an older state changes nothing.
const trimScript = new Script(
  'audit-digest-trim',
  `local a = redis.call('HGET', KEYS[2], 'seq')
   if a and tonumber(a) >= tonumber(ARGV[1]) then return 0 end
   redis.call('HSET', KEYS[2], 'seq', ARGV[1], 'digest', ARGV[2])
   return redis.call('XTRIM', KEYS[1], 'MINID', ARGV[3])`,
);

type RawEntries = [id: string, fields: string[]][];

export class RedisDigestStore implements DigestStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async newest(tenant: string): Promise<SignedDigest | null> {
    const json = await this.redis.hget(keys.newest(this.prefix, tenant), 'json');
    return json ? (JSON.parse(json) as SignedDigest) : null;
  }

  async appendIfNewest(tenant: string, digest: SignedDigest): Promise<{ ok: true } | { ok: false; newest: SignedDigest | null }> {
    const result = (await appendScript.run(this.redis, [keys.stream(this.prefix, tenant), keys.newest(this.prefix, tenant)], [
      digest.prevDigest ?? '',
      digest.seq,
      digestHash(digest),
      JSON.stringify(digest),
    ])) as [number, string?];
    if (result[0] === 1) return { ok: true };
    return { ok: false, newest: result[1] ? (JSON.parse(result[1]) as SignedDigest) : null };
  }

  async oldest(tenant: string, start: string, count: number): Promise<{ id: string; json: string }[]> {
    const raw = (await this.redis.xrange(keys.stream(this.prefix, tenant), start, '+', 'COUNT', count)) as RawEntries;
    return raw.map(([id, f]) => ({ id, json: f[f.indexOf('d') + 1] ?? '' }));
  }

  async anchor(tenant: string): Promise<DigestAnchor | null> {
    const [seq, digest] = await this.redis.hmget(keys.anchor(this.prefix, tenant), 'seq', 'digest');
    return seq == null || digest == null ? null : { seq: Number(seq), digest };
  }

  async trimBelow(tenant: string, seq: number): Promise<number> {
    // Digests are stored in position order: find the newest one below `seq` and the first to keep.
    let lastBelow: { id: string; digest: SignedDigest } | undefined;
    let beforeLast: typeof lastBelow;
    let firstKept: typeof lastBelow;
    for await (const { id, json } of storedDigests(this, tenant)) {
      const digest = JSON.parse(json) as SignedDigest;
      if (digest.seq >= seq) {
        firstKept = { id, digest };
        break;
      }
      beforeLast = lastBelow;
      lastBelow = { id, digest };
    }
    // The newest digest always stays: it is what the next one chains onto.
    if (!firstKept) [firstKept, lastBelow] = [lastBelow, beforeLast];
    if (!firstKept || !lastBelow) return 0;
    const args = [lastBelow.digest.seq, digestHash(lastBelow.digest), firstKept.id];
    return Number(await trimScript.run(this.redis, [keys.stream(this.prefix, tenant), keys.anchor(this.prefix, tenant)], args));
  }
}
