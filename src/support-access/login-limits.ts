import { createHash } from 'node:crypto';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import type { RedisClient } from '../redis/client.js';
import { globalKey, tenantKey } from '../redis/keys.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import { usernameKey } from '../users/users.js';
import { parseLoginName } from './login-name.js';

/** How long an attempt refused while others of its account are being checked waits for them. */
const IN_FLIGHT_WAIT_MS = 3000;

/** Which limit refused a sign-in: recorded as the audit cause `rate-limited (<limit>)`. */
export type LoginLimit = 'account-address' | 'address' | 'account';

/** A sign-in attempt that was counted and may verify its password, or the limit that refused it. */
export type LoginAttempt =
  | { allowed: true; account: Account; place: string }
  | { allowed: false; limit: LoginLimit; retryAfterSeconds: number };

interface Account {
  /** Where the account's counts live: the tenant tried, or the management tenant for a support login. */
  tenant: string;
  /** The username as compared (usernameKey), or what was typed when it names nobody. */
  name: string;
  /** Accounts of the management tenant (support users, platform admins) have stricter limits. */
  privileged: boolean;
}

// An account's counters, its known addresses and its attempts in flight sit under its tenant's
// hash tag (a support user's under the management tenant's), beside its user record: one
// account's keys share a Cluster slot, and each count stays the single-key script it is. The
// per-address counter spans tenants, so it sits under the global tag. rate-limiter-flexible
// writes `${keyPrefix}:${key}`, which would put its prefix before the tag: its keyPrefix is
// empty and it is handed whole keys.
const keys = {
  accountAddress: (p: string, a: Account, place: string) => tenantKey(p, a.tenant, 'rl', 'login-account-address', a.name, place),
  account: (p: string, a: Account) => tenantKey(p, a.tenant, 'rl', 'login-account', a.name),
  strangers: (p: string, a: Account) => tenantKey(p, a.tenant, 'rl', 'login-account-strangers', a.name),
  address: (p: string, place: string) => globalKey(p, 'rl', 'login-address', place),
  known: (p: string, a: Account, place: string) => tenantKey(p, a.tenant, 'login-known', a.name, place),
  inFlight: (p: string, a: Account, place: string) => tenantKey(p, a.tenant, 'login-in-flight', a.name, place),
};

interface AccountLimiters {
  perAddress: RateLimiterRedis;
  /** Consecutive failures of the account from everywhere, up to the hard cap. */
  overall: RateLimiterRedis;
  /** Consecutive failures from addresses the account does not know: past these, only known ones may try. */
  strangers: RateLimiterRedis;
}

/**
 * NIST SP 800-63B 5.2.2: no more than 100 consecutive failed attempts on one account. Strangers
 * (addresses the account never signed in from) stop at the soft limit and what they are refused
 * does not count, so only attempts from the account's own known addresses can reach this cap —
 * at which point the account is locked everywhere until the run expires or the password verifies.
 */
const MAX_CONSECUTIVE_FAILURES = 100;

/**
 * Failed sign-ins are limited three ways (SPEC §3; README "Sign-in limits"), in Redis so every
 * gateway process shares the counts:
 *  - per account and client address: a hard lock for blockSeconds, so one place cannot guess on;
 *  - per client address, whatever the account: the same, against one place trying many accounts;
 *  - per account from everywhere: consecutive failures (at most 100, NIST SP 800-63B); past the
 *    limit only addresses where the account's password verified lately may still try, so a
 *    stranger's failures never lock the owner out of a place the owner uses.
 * An attempt is counted before its password is checked: `consume` increments and compares in one
 * Lua script, so parallel guesses cannot all pass a limit that a read-then-count would let pass.
 * A support login counts against the support user in whichever tenant it is tried; counting
 * never depends on whether the account exists.
 */
export class LoginLimits {
  private readonly ordinary: AccountLimiters;
  private readonly privileged: AccountLimiters;
  private readonly address: RateLimiterRedis;
  private readonly prefix: string;
  private readonly knownSeconds: number;

  constructor(
    private readonly redis: RedisClient,
    config: Config,
  ) {
    const { login } = config;
    this.prefix = config.redis.prefix;
    const lock = { storeClient: redis, duration: login.blockSeconds, blockDuration: login.blockSeconds };
    // A run of consecutive failures: kept from its first failure, deleted when the password verifies.
    const run = { storeClient: redis, duration: login.accountFailureHours * 3600 };
    const limiters = (perAddress: number, strangers: number): AccountLimiters => ({
      perAddress: new RateLimiterRedis({ ...lock, keyPrefix: '', points: perAddress }),
      overall: new RateLimiterRedis({ ...run, keyPrefix: '', points: MAX_CONSECUTIVE_FAILURES }),
      strangers: new RateLimiterRedis({ ...run, keyPrefix: '', points: strangers }),
    });
    this.ordinary = limiters(login.maxFailuresPerAccountAddress, login.maxFailuresPerAccount);
    // Management accounts are never limited more loosely than ordinary ones.
    this.privileged = limiters(
      Math.min(login.supportMaxFailuresPerAccountAddress, login.maxFailuresPerAccountAddress),
      Math.min(login.supportMaxFailuresPerAccount, login.maxFailuresPerAccount),
    );
    this.address = new RateLimiterRedis({ ...lock, keyPrefix: '', points: login.maxFailuresPerAddress });
    this.knownSeconds = login.knownAddressDays * 86400;
  }

  private accountOf(tenant: string, typed: string): Account {
    const name = parseLoginName(typed);
    if (name?.kind === 'support') return { tenant: MANAGEMENT_TENANT, name: usernameKey(name.supportUser), privileged: true };
    return { tenant, name: usernameKey(name?.kind === 'user' ? name.username : typed.trim().slice(0, 200)), privileged: tenant === MANAGEMENT_TENANT };
  }

  private limitersOf(account: Account): AccountLimiters {
    return account.privileged ? this.privileged : this.ordinary;
  }

  private knownKey(account: Account, place: string): string {
    return keys.known(this.prefix, account, place);
  }

  /**
   * Counts a sign-in attempt before its password is checked, or refuses it. The limits are spent
   * one after the other, so an attempt refused by one does not count against the next.
   *
   * Counting first means attempts still being checked count too: a few correct sign-ins of one
   * account at once (several tabs, an app's retries) would fill a limit of 3 without a single
   * failure. So a refusal while other attempts of the same account and address are still being
   * checked waits for them (briefly) and counts again: if one of them verified, the counts were
   * reset and this one passes; if they failed, it is refused as it should be.
   */
  async begin(tenant: string, typed: string, address: string): Promise<LoginAttempt> {
    const account = this.accountOf(tenant, typed);
    // Addresses are only ever keys here: hashed, so Redis holds no list of client addresses.
    const place = createHash('sha256').update(address).digest('base64url').slice(0, 22);
    const first = await this.countInFlight(account, place);
    if (first.allowed) return first;
    // Wait for the attempts being checked right now (each announced itself before it counted).
    const key = this.inFlightKey(account, place);
    // A real wait, not domain time: measured on the monotonic clock.
    const deadline = performance.now() + IN_FLIGHT_WAIT_MS;
    let waited = false;
    while (Number((await this.redis.get(key)) ?? 0) > 0 && performance.now() < deadline) {
      waited = true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return waited ? this.countInFlight(account, place) : first;
  }

  /** Counts the attempt; while it may check its password it stays announced as in flight. */
  private async countInFlight(account: Account, place: string): Promise<LoginAttempt> {
    const key = this.inFlightKey(account, place);
    // The announcement leaves ahead of the count's first command on the same connection (same
    // slot), so Redis has it first: one round trip for both, not two.
    const announced = this.redis.multi().incr(key).expire(key, 60).exec();
    const [, attempt] = await Promise.all([announced, this.count(account, place)]);
    if (!attempt.allowed) await this.redis.decr(key);
    return attempt;
  }

  /** The attempt's password check is over (whatever its result): it no longer holds others back. */
  async finished(attempt: LoginAttempt & { allowed: true }): Promise<void> {
    await this.redis.decr(this.inFlightKey(attempt.account, attempt.place));
  }

  private inFlightKey(account: Account, place: string): string {
    return keys.inFlight(this.prefix, account, place);
  }

  private async count(account: Account, place: string): Promise<LoginAttempt> {
    const limiters = this.limitersOf(account);
    // Whether the address is known is only read: it travels with the first limit's command.
    const knownRead = this.redis.exists(this.knownKey(account, place));
    knownRead.catch(() => undefined); // not awaited when a limit refuses first
    const refusal =
      (await spend(limiters.perAddress, keys.accountAddress(this.prefix, account, place), 'account-address')) ??
      (await spend(this.address, keys.address(this.prefix, place), 'address'));
    if (refusal !== null) return refusal;
    // Strangers (addresses the account never signed in from lately) have a run of their own;
    // what they are refused never reaches the account's run, so they cannot bring the account to
    // its hard cap and lock the owner out.
    const known = (await knownRead) === 1;
    if (!known) {
      const strangers = await spend(limiters.strangers, keys.strangers(this.prefix, account), 'account');
      if (strangers !== null) return strangers;
    }
    const overall = await spend(limiters.overall, keys.account(this.prefix, account), 'account');
    if (overall !== null) {
      if (!known) await limiters.strangers.reward(keys.strangers(this.prefix, account), 1);
      return overall;
    }
    return { allowed: true, account, place };
  }


  /**
   * The attempt's password verified (and the answer says so): the run of failures ends, the
   * address becomes known to the account, and the address gets its point back.
   */
  async verified(attempt: LoginAttempt & { allowed: true }): Promise<void> {
    const { account, place } = attempt;
    const limiters = this.limitersOf(account);
    await Promise.all([
      limiters.perAddress.delete(keys.accountAddress(this.prefix, account, place)),
      limiters.overall.delete(keys.account(this.prefix, account)),
      limiters.strangers.delete(keys.strangers(this.prefix, account)),
      this.address.reward(keys.address(this.prefix, place), 1),
      this.redis.set(this.knownKey(account, place), '1', 'EX', this.knownSeconds),
    ]);
  }
}

/** Spends one point: null when within the limit, else the refusal (Redis errors throw: closed). */
async function spend(limiter: RateLimiterRedis, key: string, limit: LoginLimit): Promise<(LoginAttempt & { allowed: false }) | null> {
  try {
    await limiter.consume(key);
    return null;
  } catch (rejection: unknown) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    return { allowed: false, limit, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
  }
}

/** How long a refused attempt must wait, as the login form says it ("15 minutes", "3 hours"). */
export function tooManyFailuresWait(seconds: number): string {
  const minutes = Math.ceil(seconds / 60);
  if (minutes <= 90) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  return `${Math.ceil(minutes / 60)} hours`;
}
