import { createHash } from 'node:crypto';
import { AppError } from '../errors.js';
import type { RedisClient } from './client.js';

/**
 * A Lua script sent by EVALSHA, falling back to EVAL once when the server does not know it yet.
 * Every key a script touches is passed in KEYS (Redis Cluster routes and checks slots by them);
 * callers build those keys with one tenant's hash tag.
 */
export class Script {
  private readonly sha: string;
  constructor(readonly name: string, private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisClient, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * Compare-and-set of a JSON record: writes `next` only if the key still holds `expected`
 * ('' = must not exist). The optimistic loop in `updateJson` retries on a lost race.
 */
export const compareAndSet = new Script(
  'compare-and-set',
  `local cur = redis.call('GET', KEYS[1])
   if (cur == false and ARGV[1] ~= '') or (cur ~= false and cur ~= ARGV[1]) then return 0 end
   redis.call('SET', KEYS[1], ARGV[2])
   return 1`,
);

/**
 * Read-modify-write of one JSON record with compare-and-set, retried when another process wrote
 * in between. `mutate` sees undefined when the key does not exist and may throw to refuse.
 */
export async function updateJson<T>(
  redis: RedisClient,
  key: string,
  parse: (raw: string) => T,
  mutate: (current: T | undefined) => T,
  attempts = 50,
): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const raw = await redis.get(key);
    const next = mutate(raw === null ? undefined : parse(raw));
    const written = await compareAndSet.run(redis, [key], [raw ?? '', JSON.stringify(next)]);
    if (written === 1) return next;
    // Lost a race: a short random pause spreads the retries of many writers apart.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
  }
  // Others kept winning: a refusal the caller can retry (409), not a server error.
  throw new AppError('CONFLICT', undefined, { cause: new Error(`updateJson: lost ${attempts} races in a row for ${key}`) });
}
