import type { RedisClient } from '../redis/client.js';
import { globalKey, tenantKey } from '../redis/keys.js';
import { awaitReplicas, isUnconfirmed, NO_REPLICA_ACKS, type ReplicaAcks } from '../redis/replica-acks.js';
import { compareAndSet, Script, updateJson } from '../redis/script.js';
import type { SupportLogin, SupportWindowStore } from './store.js';
import { EMPTY_WINDOW, type SupportWindow } from './window.js';

// A tenant's window is one JSON record in its slot, changed by compare-and-set: concurrent opens
// and closes retry on the newer record, so none is lost and the end is always computed from the
// requests actually stored. The schedule of ends is one global sorted set the watchers poll.
const keys = {
  window: (p: string, t: string) => tenantKey(p, t, 'support', 'window'),
  claim: (p: string, t: string, what: string) => tenantKey(p, t, 'support', 'claim', what),
  schedule: (p: string) => globalKey(p, 'support', 'ends'),
  logins: (p: string, t: string) => tenantKey(p, t, 'support', 'logins'),
};

const LOGINS_KEPT = 10;

/** Whether `next` lets support in where or when `before` did not: a later end, or a request that was not open before. */
function widens(before: SupportWindow, next: SupportWindow): boolean {
  if ((next.end ?? -Infinity) > (before.end ?? -Infinity)) return true;
  const open = new Set(before.requests.filter((r) => !r.closedAt).map((r) => r.id));
  return next.requests.some((r) => !r.closedAt && !open.has(r.id));
}

// KEYS: schedule. ARGV: tenant, end. Removes the tenant only if nobody rescheduled it meanwhile.
const unscheduleScript = new Script(
  'support-unschedule',
  `if redis.call('ZSCORE', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('ZREM', KEYS[1], ARGV[1]) end
   return 0`,
);

const CLAIM_TTL_MS = 7 * 86_400_000;

export class RedisSupportWindowStore implements SupportWindowStore {
  /**
   * `replicaAcks`: a window change counts as done only once that many replicas hold it, so a
   * failover cannot bring back a window that was closed (off by default).
   */
  constructor(private readonly redis: RedisClient, private readonly prefix: string, private readonly replicaAcks: ReplicaAcks = NO_REPLICA_ACKS) {}

  async read(tenant: string): Promise<SupportWindow> {
    const raw = await this.redis.get(keys.window(this.prefix, tenant));
    return raw === null ? EMPTY_WINDOW : (JSON.parse(raw) as SupportWindow);
  }

  async update(tenant: string, mutate: (current: SupportWindow) => SupportWindow): Promise<SupportWindow> {
    const key = keys.window(this.prefix, tenant);
    let before: SupportWindow = EMPTY_WINDOW;
    const next = await updateJson(this.redis, key, (raw) => JSON.parse(raw) as SupportWindow, (cur) => mutate((before = cur ?? EMPTY_WINDOW)));
    try {
      await awaitReplicas(this.redis, key, this.replicaAcks);
    } catch (err) {
      // Unconfirmed: a change that widened access is taken back (if nothing changed it since), so
      // the action fails closed; one that narrowed access stays, its audit entry says so or not.
      if (isUnconfirmed(err) && widens(before, next)) {
        await compareAndSet.run(this.redis, [key], [JSON.stringify(next), JSON.stringify(before)]).catch(() => undefined);
      }
      throw err;
    }
    return next;
  }

  async schedule(tenant: string, end: number | null): Promise<void> {
    if (end === null) await this.redis.zrem(keys.schedule(this.prefix), tenant);
    else await this.redis.zadd(keys.schedule(this.prefix), String(end), tenant);
  }

  async due(now: number): Promise<{ tenant: string; end: number }[]> {
    const flat = await this.redis.zrangebyscore(keys.schedule(this.prefix), '-inf', String(now), 'WITHSCORES');
    const out: { tenant: string; end: number }[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ tenant: flat[i]!, end: Number(flat[i + 1]) });
    return out;
  }

  async unschedule(tenant: string, end: number): Promise<void> {
    await unscheduleScript.run(this.redis, [keys.schedule(this.prefix)], [tenant, String(end)]);
  }

  async claim(tenant: string, what: string): Promise<boolean> {
    return (await this.redis.set(keys.claim(this.prefix, tenant, what), '1', 'PX', CLAIM_TTL_MS, 'NX')) === 'OK';
  }

  async release(tenant: string, what: string): Promise<void> {
    await this.redis.del(keys.claim(this.prefix, tenant, what));
  }

  async noteLogin(tenant: string, login: SupportLogin): Promise<void> {
    const key = keys.logins(this.prefix, tenant);
    await this.redis.multi().lpush(key, JSON.stringify(login)).ltrim(key, 0, LOGINS_KEPT - 1).exec();
  }

  async lastLogins(tenant: string): Promise<SupportLogin[]> {
    return (await this.redis.lrange(keys.logins(this.prefix, tenant), 0, LOGINS_KEPT - 1)).map((r) => JSON.parse(r) as SupportLogin);
  }
}
