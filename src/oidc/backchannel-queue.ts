import { createHash } from 'node:crypto';
import type { Party } from '../audit/entry.js';
import type { RedisClient } from '../redis/client.js';
import { globalKey } from '../redis/keys.js';
import { Script } from '../redis/script.js';

/**
 * The queue of back-channel logouts to deliver, shared by every gateway process through Redis.
 *
 * One queue for the whole deployment, under the `{g}` hash tag: a sorted set of job ids by the
 * time each is due, and one hash per job. All of it sits in one Redis Cluster slot, so claiming
 * and settling a job are single scripts with every key in KEYS. Per-tenant queues would spread
 * the load over slots, but every process would then have to poll every tenant; logouts are few
 * (one per client of a session that ends), so one slot carries them easily.
 *
 * A job is claimed by pushing its due time a lease ahead (a visibility timeout): while the lease
 * runs nobody else takes it; if its process dies, the lease ends and another process claims it
 * again. Each claim increments the job's attempt number, and only the claim holding the current
 * number may settle the job, so a process that comes back after its lease cannot undo a newer
 * attempt's result.
 */

/** One logout to deliver: a client of an ended session, and who the session was (for the audit). */
export interface LogoutJob {
  tenant: string;
  clientId: string;
  /** The session's `sid` for this client (the ID tokens' and the Logout Token's `sid`). */
  sid: string;
  /** The session's account (the impersonated user's id for a support session). */
  sub: string;
  /** The audit name of the session: `jill$john` or `john`. */
  who: string;
  actor: Party | null;
  subject: Party | null;
  /** What ended the session (an access event, `logout`, `tenant suspended`...). */
  trigger: string;
  /** When it was queued (epoch ms). */
  queuedAt: number;
}

export interface ClaimedLogout {
  id: string;
  job: LogoutJob;
  /** 1 for the first attempt. */
  attempt: number;
}

/** How long a job's record lives at most: far past the last retry; a job gone stale is dropped. */
const JOB_TTL_S = 86_400;
/**
 * A settled job's record stays this long so that the same logout queued again (every process
 * sweeping a suspended tenant queues its sessions) is recognised and not delivered twice.
 */
const SETTLED_TTL_S = 86_400;

const keys = {
  due: (p: string) => globalKey(p, 'logout', 'due'),
  job: (p: string, id: string) => globalKey(p, 'logout', 'job', id),
};

// KEYS: job, due. ARGV: id, job json, due (ms), ttl (s). Queues once per id.
const enqueueScript = new Script(
  'logout-enqueue',
  `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
   redis.call('HSET', KEYS[1], 'job', ARGV[2], 'attempt', 0, 'state', 'pending')
   redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
   redis.call('ZADD', KEYS[2], tonumber(ARGV[3]), ARGV[1])
   return 1`,
);

// KEYS: due, job. ARGV: id, now (ms), lease end (ms). Claims a due job: {attempt, job json}, or nil.
const claimScript = new Script(
  'logout-claim',
  `local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
   if not due or tonumber(due) > tonumber(ARGV[2]) then return false end
   if redis.call('HGET', KEYS[2], 'state') ~= 'pending' then
     redis.call('ZREM', KEYS[1], ARGV[1])
     return false
   end
   redis.call('ZADD', KEYS[1], tonumber(ARGV[3]), ARGV[1])
   local attempt = redis.call('HINCRBY', KEYS[2], 'attempt', 1)
   return {attempt, redis.call('HGET', KEYS[2], 'job')}`,
);

// KEYS: due, job. ARGV: id, attempt, 'retry' | 'delivered' | 'failed', next due (ms), settled ttl (s).
// Only the newest claim settles; returns 1 when it did.
const settleScript = new Script(
  'logout-settle',
  `local attempt = redis.call('HGET', KEYS[2], 'attempt')
   if not attempt or tonumber(attempt) ~= tonumber(ARGV[2]) or redis.call('HGET', KEYS[2], 'state') ~= 'pending' then return 0 end
   if ARGV[3] == 'retry' then
     redis.call('ZADD', KEYS[1], tonumber(ARGV[4]), ARGV[1])
   else
     redis.call('ZREM', KEYS[1], ARGV[1])
     redis.call('HSET', KEYS[2], 'state', ARGV[3])
     redis.call('EXPIRE', KEYS[2], tonumber(ARGV[5]))
   end
   return 1`,
);

/** A job's id: one per (tenant, client, sid), so queuing the same logout twice delivers it once. */
export function logoutJobId(tenant: string, clientId: string, sid: string): string {
  return createHash('sha256').update(`${tenant}\n${clientId}\n${sid}`).digest('base64url');
}

export class RedisLogoutQueue {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** Queues a logout, due at `dueAt`; false when this logout was queued (or settled) before. */
  async enqueue(job: LogoutJob, dueAt: number): Promise<boolean> {
    const id = logoutJobId(job.tenant, job.clientId, job.sid);
    return (await enqueueScript.run(this.redis, [keys.job(this.prefix, id), keys.due(this.prefix)], [id, JSON.stringify(job), dueAt, JOB_TTL_S])) === 1;
  }

  /** Claims up to `limit` jobs due at `now`, each for `leaseMs`: nobody else takes them meanwhile. */
  async claim(now: number, leaseMs: number, limit: number): Promise<ClaimedLogout[]> {
    const ids = await this.redis.zrangebyscore(keys.due(this.prefix), '-inf', now, 'LIMIT', 0, limit);
    const claimed: ClaimedLogout[] = [];
    for (const id of ids) {
      const got = (await claimScript.run(this.redis, [keys.due(this.prefix), keys.job(this.prefix, id)], [id, now, now + leaseMs])) as [number, string] | null;
      if (got) claimed.push({ id, attempt: Number(got[0]), job: JSON.parse(got[1]) as LogoutJob });
    }
    return claimed;
  }

  /** Another attempt at `dueAt`; false when the claim is no longer this caller's (its lease ended and another took it). */
  async retry(claimed: ClaimedLogout, dueAt: number): Promise<boolean> {
    return this.settle(claimed, 'retry', dueAt);
  }

  /** No more attempts: delivered, or failed for good. */
  async finish(claimed: ClaimedLogout, outcome: 'delivered' | 'failed'): Promise<boolean> {
    return this.settle(claimed, outcome, 0);
  }

  /** Jobs waiting (due or not, claimed or not). */
  async size(): Promise<number> {
    return this.redis.zcard(keys.due(this.prefix));
  }

  private async settle(claimed: ClaimedLogout, outcome: 'retry' | 'delivered' | 'failed', dueAt: number): Promise<boolean> {
    const { id, attempt } = claimed;
    return (await settleScript.run(this.redis, [keys.due(this.prefix), keys.job(this.prefix, id)], [id, attempt, outcome, dueAt, SETTLED_TTL_S])) === 1;
  }
}
