import { createHash } from 'node:crypto';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import type { RedisClient } from '../redis/client.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import { usernameKey } from '../users/users.js';
import { parseLoginName } from '../support-access/login-name.js';

/** How long an attempt refused while others of its account are being checked waits for them. */
const IN_FLIGHT_WAIT_MS = 3000;

/** Which limit refused a sign-in: recorded as the audit cause `rate-limited (<limit>)`. */
export type LoginLimit = 'account-address' | 'address' | 'account';

/** A sign-in attempt that was counted and may verify its password, or the limit that refused it. */
export type LoginAttempt =
  | { allowed: true; account: Account; place: string }
  | { allowed: false; limit: LoginLimit; retryAfterSeconds: number };

interface Account {
  key: string;
  /** Accounts of the management tenant (support users, platform admins) have stricter limits. */
  privileged: boolean;
}

interface AccountLimiters {
  perAddress: RateLimiterRedis;
  overall: RateLimiterRedis;
}

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
  private readonly knownPrefix: string;
  private readonly knownSeconds: number;
  private readonly inFlightPrefix: string;

  constructor(
    private readonly redis: RedisClient,
    config: Config,
  ) {
    const { login } = config;
    const prefix = config.redis.prefix;
    const lock = { storeClient: redis, duration: login.blockSeconds, blockDuration: login.blockSeconds };
    // A run of consecutive failures: kept from its first failure, deleted when the password verifies.
    const run = { storeClient: redis, duration: login.accountFailureHours * 3600 };
    const limiters = (perAddress: number, overall: number): AccountLimiters => ({
      perAddress: new RateLimiterRedis({ ...lock, keyPrefix: `${prefix}rl:login-account-address`, points: perAddress }),
      overall: new RateLimiterRedis({ ...run, keyPrefix: `${prefix}rl:login-account`, points: overall }),
    });
    this.ordinary = limiters(login.maxFailuresPerAccountAddress, login.maxFailuresPerAccount);
    // Management accounts are never limited more loosely than ordinary ones.
    this.privileged = limiters(
      Math.min(login.supportMaxFailuresPerAccountAddress, login.maxFailuresPerAccountAddress),
      Math.min(login.supportMaxFailuresPerAccount, login.maxFailuresPerAccount),
    );
    this.address = new RateLimiterRedis({ ...lock, keyPrefix: `${prefix}rl:login-address`, points: login.maxFailuresPerAddress });
    this.knownPrefix = `${prefix}login-known:`;
    this.inFlightPrefix = `${prefix}login-in-flight:`;
    this.knownSeconds = login.knownAddressDays * 86400;
  }

  private accountOf(tenant: string, typed: string): Account {
    const name = parseLoginName(typed);
    if (name?.kind === 'support') return { key: `${MANAGEMENT_TENANT}:${usernameKey(name.supportUser)}`, privileged: true };
    return { key: `${tenant}:${usernameKey(name?.kind === 'user' ? name.username : typed.trim().slice(0, 200))}`, privileged: tenant === MANAGEMENT_TENANT };
  }

  private limitersOf(account: Account): AccountLimiters {
    return account.privileged ? this.privileged : this.ordinary;
  }

  private knownKey(account: Account, place: string): string {
    return `${this.knownPrefix}${account.key}:${place}`;
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
    await this.redis.multi().incr(key).expire(key, 60).exec();
    const attempt = await this.count(account, place);
    if (!attempt.allowed) await this.redis.decr(key);
    return attempt;
  }

  /** The attempt's password check is over (whatever its result): it no longer holds others back. */
  async finished(attempt: LoginAttempt & { allowed: true }): Promise<void> {
    await this.redis.decr(this.inFlightKey(attempt.account, attempt.place));
  }

  private inFlightKey(account: Account, place: string): string {
    return `${this.inFlightPrefix}${account.key}:${place}`;
  }

  private async count(account: Account, place: string): Promise<LoginAttempt> {
    const limiters = this.limitersOf(account);
    const refusal =
      (await spend(limiters.perAddress, `${account.key}:${place}`, 'account-address')) ??
      (await spend(this.address, place, 'address')) ??
      (await spend(limiters.overall, account.key, 'account'));
    if (refusal === null) return { allowed: true, account, place };
    // Past the per-account limit, an address where this account signed in lately may still try.
    if (refusal.limit === 'account' && (await this.redis.exists(this.knownKey(account, place))) === 1) return { allowed: true, account, place };
    return refusal;
  }

  /**
   * The attempt's password verified (and the answer says so): the run of failures ends, the
   * address becomes known to the account, and the address gets its point back.
   */
  async verified(attempt: LoginAttempt & { allowed: true }): Promise<void> {
    const { account, place } = attempt;
    const limiters = this.limitersOf(account);
    await Promise.all([
      limiters.perAddress.delete(`${account.key}:${place}`),
      limiters.overall.delete(account.key),
      this.address.reward(place, 1),
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

/** What the login form says to a refused attempt. */
export function tooManyFailuresMessage(seconds: number): string {
  const minutes = Math.ceil(seconds / 60);
  if (minutes <= 90) return `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
  const hours = Math.ceil(minutes / 60);
  return `Too many failed sign-ins. Try again in ${hours} hours.`;
}
