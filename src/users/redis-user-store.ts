import { AppError } from '../errors.js';
import type { RedisClient } from '../redis/client.js';
import { tenantKey } from '../redis/keys.js';
import { Script, updateJson } from '../redis/script.js';
import { usernameKey, type User, type UserStore } from './users.js';

// All keys of a tenant's users share the tenant's hash tag: the username index and the record
// are written by one script in one slot.
const keys = {
  user: (p: string, t: string, id: string) => tenantKey(p, t, 'user', id),
  usernames: (p: string, t: string) => tenantKey(p, t, 'usernames'),
  byAge: (p: string, t: string) => tenantKey(p, t, 'users'),
};

// KEYS: usernames, user, byAge. ARGV: usernameKey, id, json, createdAt(ms)
const createScript = new Script(
  'user-create',
  `if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
   redis.call('SET', KEYS[2], ARGV[3])
   redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
   return 1`,
);

// KEYS: usernames, user, byAge. ARGV: usernameKey, id. The name is freed only if still this user's.
const removeScript = new Script(
  'user-remove',
  `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
   redis.call('DEL', KEYS[2])
   redis.call('ZREM', KEYS[3], ARGV[2])
   return 1`,
);

export class RedisUserStore implements UserStore {
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  async create(user: User): Promise<void> {
    const p = this.prefix;
    const created = await createScript.run(
      this.redis,
      [keys.usernames(p, user.tenant), keys.user(p, user.tenant, user.id), keys.byAge(p, user.tenant)],
      [usernameKey(user.username), user.id, JSON.stringify(user), Date.parse(user.createdAt)],
    );
    if (created !== 1) throw new AppError('USERNAME_TAKEN', undefined, { params: { username: user.username, tenant: user.tenant } });
  }

  async get(tenant: string, id: string): Promise<User | null> {
    const raw = await this.redis.get(keys.user(this.prefix, tenant, id));
    return raw === null ? null : (JSON.parse(raw) as User);
  }

  async findByUsername(tenant: string, username: string): Promise<User | null> {
    // Two round trips rather than a script building an undeclared key: every key a script
    // touches must be in KEYS for Redis Cluster. Next to an argon2 verify the cost is nil.
    const id = await this.redis.hget(keys.usernames(this.prefix, tenant), usernameKey(username));
    return id === null ? null : this.get(tenant, id);
  }

  update(tenant: string, id: string, mutate: (user: User) => User): Promise<User> {
    return updateJson(this.redis, keys.user(this.prefix, tenant, id), (raw) => JSON.parse(raw) as User, (current) => {
      if (!current) throw new AppError('USER_RECORD_MISSING');
      return mutate(current);
    });
  }

  async list(tenant: string): Promise<User[]> {
    const ids = await this.redis.zrange(keys.byAge(this.prefix, tenant), '0', '-1');
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(...ids.map((id) => keys.user(this.prefix, tenant, id)));
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as User);
  }

  async remove(user: User): Promise<void> {
    const p = this.prefix;
    await removeScript.run(this.redis, [keys.usernames(p, user.tenant), keys.user(p, user.tenant, user.id), keys.byAge(p, user.tenant)], [usernameKey(user.username), user.id]);
  }
}
