import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import type { RedisClient } from '../redis/client.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import { usernameKey } from '../users/users.js';
import { parseLoginName } from './login-name.js';

/**
 * Failed sign-ins are limited per account and per client address (SPEC §3), counted in Redis so
 * every gateway process shares the count. A support login counts against the support user, in
 * whichever tenant it is tried. Counting never depends on whether the account exists.
 */
export class LoginLimits {
  private readonly account: RateLimiterRedis;
  private readonly address: RateLimiterRedis;

  constructor(redis: RedisClient, config: Config) {
    const common = { storeClient: redis, duration: config.login.blockSeconds, blockDuration: config.login.blockSeconds };
    this.account = new RateLimiterRedis({ ...common, keyPrefix: `${config.redis.prefix}rl:login-account`, points: config.login.maxFailuresPerAccount });
    this.address = new RateLimiterRedis({ ...common, keyPrefix: `${config.redis.prefix}rl:login-address`, points: config.login.maxFailuresPerAddress });
  }

  private accountKey(tenant: string, typed: string): string {
    const name = parseLoginName(typed);
    if (name?.kind === 'support') return `${MANAGEMENT_TENANT}:${usernameKey(name.supportUser)}`;
    return `${tenant}:${usernameKey(name?.kind === 'user' ? name.username : typed.trim().slice(0, 200))}`;
  }

  /** Seconds until sign-in may be tried again, or 0 when it may be tried now. */
  async wait(tenant: string, typed: string, address: string): Promise<number> {
    const [a, b] = await Promise.all([this.account.get(this.accountKey(tenant, typed)), this.address.get(address)]);
    const blocked = [a, b].filter((r): r is RateLimiterRes => r !== null && r.remainingPoints <= 0);
    return blocked.length === 0 ? 0 : Math.ceil(Math.max(...blocked.map((r) => r.msBeforeNext)) / 1000);
  }

  async failed(tenant: string, typed: string, address: string): Promise<void> {
    const spend = (limiter: RateLimiterRedis, key: string) =>
      limiter.consume(key).catch((r: unknown) => {
        if (!(r instanceof RateLimiterRes)) throw r; // Redis errors fail the login (closed)
      });
    await Promise.all([spend(this.account, this.accountKey(tenant, typed)), spend(this.address, address)]);
  }

  async succeeded(tenant: string, typed: string): Promise<void> {
    await this.account.delete(this.accountKey(tenant, typed));
  }
}
