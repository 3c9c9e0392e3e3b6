import type { RedisClient } from '../redis/client.js';
import { actorKey, tenantKey } from '../redis/keys.js';
import { awaitReplicas, NO_REPLICA_ACKS, type ReplicaAcks } from '../redis/replica-acks.js';
import { Script } from '../redis/script.js';
import { GENESIS_HASH, type AuditEntry } from './entry.js';
import type { AuditStore, ChainAnchor, ChainHead, EntryRef, StoredEntry } from './store.js';

// A tenant's log is one stream, its chain head and retention anchor sit beside it under the same
// tenant hash tag, so appending (check head, XADD the batch, move head) is one script in one
// slot. An actor's cross-tenant index is a stream of refs under the actor's own tag.
const keys = {
  stream: (p: string, t: string) => tenantKey(p, t, 'audit'),
  head: (p: string, t: string) => tenantKey(p, t, 'audit', 'head'),
  anchor: (p: string, t: string) => tenantKey(p, t, 'audit', 'anchor'),
  refs: (p: string, actorId: string) => actorKey(p, actorId, 'audit', 'refs'),
  // Write-ahead records of actions under way: cleared by the script that appends their entry.
  intents: (p: string, t: string) => tenantKey(p, t, 'audit', 'intents'),
  intentClaim: (p: string, t: string, id: string) => tenantKey(p, t, 'audit', 'intent-claim', id),
};

// KEYS: stream, head, intents. ARGV: expected seq, expected hash, k, then k intent ids, then id,
// seq, hash, json per entry. The entries and the clearing of the intents they complete are one
// step: an action's write-ahead record disappears exactly when its entry is in the chain.
const appendScript = new Script(
  'audit-append',
  `local h = redis.call('HMGET', KEYS[2], 'seq', 'hash', 'lastId')
   local seq, hash, lastId = h[1] or '0', h[2] or '${GENESIS_HASH}', h[3] or '0-0'
   if seq ~= ARGV[1] or hash ~= ARGV[2] then return {0, seq, hash, lastId} end
   local k = tonumber(ARGV[3])
   for i = 1, k do redis.call('HDEL', KEYS[3], ARGV[3 + i]) end
   local first = 4 + k
   local n = (#ARGV - first + 1) / 4
   for i = 0, n - 1 do
     local b = first + i * 4
     redis.call('XADD', KEYS[1], ARGV[b], 'seq', ARGV[b + 1], 'h', ARGV[b + 2], 'e', ARGV[b + 3])
   end
   local last = first + (n - 1) * 4
   redis.call('HSET', KEYS[2], 'seq', ARGV[last + 1], 'hash', ARGV[last + 2], 'lastId', ARGV[last])
   return {1}`,
);

// KEYS: stream, anchor. ARGV: min id (exclusive upper bound of what is removed).
// The anchor moves to the newest removed entry before the trim, in the same script.
const trimScript = new Script(
  'audit-trim',
  `local newest = redis.call('XREVRANGE', KEYS[1], '(' .. ARGV[1], '-', 'COUNT', 1)
   if #newest == 0 then return 0 end
   local f = newest[1][2]
   local seq, hash
   for i = 1, #f, 2 do
     if f[i] == 'seq' then seq = f[i + 1] elseif f[i] == 'h' then hash = f[i + 1] end
   end
   redis.call('HSET', KEYS[2], 'seq', seq, 'hash', hash)
   return redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])`,
);

type RawEntries = [id: string, fields: string[]][];

function toStored(raw: RawEntries): StoredEntry[] {
  return raw.map(([id, fields]) => {
    const i = fields.indexOf('e');
    return { id, json: i >= 0 ? fields[i + 1]! : '' };
  });
}

export class RedisAuditStore implements AuditStore {
  /**
   * `replicaAcks`: an appended entry counts as written only once that many replicas hold it, so a
   * master lost in a failover cannot take an acknowledged entry with it (off by default).
   */
  constructor(private readonly redis: RedisClient, private readonly prefix: string, private readonly replicaAcks: ReplicaAcks = NO_REPLICA_ACKS) {}

  async head(tenant: string): Promise<ChainHead> {
    const [seq, hash, lastId] = await this.redis.hmget(keys.head(this.prefix, tenant), 'seq', 'hash', 'lastId');
    return { seq: Number(seq ?? 0), hash: hash ?? GENESIS_HASH, lastId: lastId ?? '0-0' };
  }

  async appendIfHead(tenant: string, expected: ChainHead, entries: AuditEntry[], intents: string[] = []): Promise<{ ok: true } | { ok: false; head: ChainHead }> {
    const args: (string | number)[] = [String(expected.seq), expected.hash, intents.length, ...intents];
    for (const e of entries) args.push(e.id, String(e.seq), e.hash, JSON.stringify(e));
    const result = (await appendScript.run(this.redis, [keys.stream(this.prefix, tenant), keys.head(this.prefix, tenant), keys.intents(this.prefix, tenant)], args)) as [number, string?, string?, string?];
    if (result[0] === 1) {
      await awaitReplicas(this.redis, keys.head(this.prefix, tenant), this.replicaAcks);
      return { ok: true };
    }
    return { ok: false, head: { seq: Number(result[1]), hash: result[2]!, lastId: result[3]! } };
  }

  async addRefs(actorId: string, refs: EntryRef[]): Promise<void> {
    const key = keys.refs(this.prefix, actorId);
    const multi = this.redis.multi();
    for (const r of refs) multi.xadd(key, '*', 't', r.tenant, 'i', r.id);
    const results = await multi.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('audit index write failed');
  }

  async newest(tenant: string, end: string, start: string, count: number): Promise<StoredEntry[]> {
    return toStored((await this.redis.xrevrange(keys.stream(this.prefix, tenant), end, start, 'COUNT', count)) as RawEntries);
  }

  async oldest(tenant: string, start: string, count: number): Promise<StoredEntry[]> {
    return toStored((await this.redis.xrange(keys.stream(this.prefix, tenant), start, '+', 'COUNT', count)) as RawEntries);
  }

  async intend(tenant: string, id: string, json: string): Promise<void> {
    await this.redis.hset(keys.intents(this.prefix, tenant), id, json);
  }

  async abandon(tenant: string, id: string): Promise<void> {
    await this.redis.hdel(keys.intents(this.prefix, tenant), id);
  }

  async intents(tenant: string): Promise<{ id: string; json: string }[]> {
    const all = await this.redis.hgetall(keys.intents(this.prefix, tenant));
    return Object.entries(all).map(([id, json]) => ({ id, json }));
  }

  async claimIntent(tenant: string, id: string): Promise<boolean> {
    // One resolver per record, whichever process sweeps first; the claim outlives any retry.
    return (await this.redis.set(keys.intentClaim(this.prefix, tenant, id), '1', 'EX', 86_400, 'NX')) === 'OK';
  }

  async newestRefs(actorId: string, end: string, count: number): Promise<(EntryRef & { refId: string })[]> {
    const raw = (await this.redis.xrevrange(keys.refs(this.prefix, actorId), end, '-', 'COUNT', count)) as RawEntries;
    return raw.map(([refId, f]) => ({ refId, tenant: f[f.indexOf('t') + 1]!, id: f[f.indexOf('i') + 1]! }));
  }

  async byIds(refs: EntryRef[]): Promise<(StoredEntry & { tenant: string })[]> {
    // One single-key command each (entries of many tenants live in many slots).
    const found = await Promise.all(
      refs.map(async (r) => {
        const raw = (await this.redis.xrange(keys.stream(this.prefix, r.tenant), r.id, r.id)) as RawEntries;
        return toStored(raw).map((s) => ({ ...s, tenant: r.tenant }));
      }),
    );
    return found.flat();
  }

  async anchor(tenant: string): Promise<ChainAnchor | null> {
    const [seq, hash] = await this.redis.hmget(keys.anchor(this.prefix, tenant), 'seq', 'hash');
    return seq == null || hash == null ? null : { seq: Number(seq), hash };
  }

  length(tenant: string): Promise<number> {
    return this.redis.xlen(keys.stream(this.prefix, tenant));
  }

  async trimBefore(tenant: string, minTimeMs: number): Promise<number> {
    const removed = await trimScript.run(this.redis, [keys.stream(this.prefix, tenant), keys.anchor(this.prefix, tenant)], [`${minTimeMs}-0`]);
    return Number(removed);
  }
}
