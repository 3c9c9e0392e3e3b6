import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from '../config.js';
import { describeRedis } from '../config.js';
import { AppError } from '../errors.js';

/** The one Redis connection of a process: standalone or cluster, chosen by config. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectOptions {
  /**
   * `server` reconnects forever (readiness reports the outage, commands fail fast meanwhile);
   * `cli` gives up after a short try so a command exits with a clear message.
   */
  mode: 'server' | 'cli';
  onStateChange?: (state: 'ready' | 'down', reason?: string) => void;
}

export function createRedis(config: Config, options: RedisConnectOptions): RedisClient {
  const cli = options.mode === 'cli';
  const base: RedisOptions = {
    lazyConnect: true,
    // The CLI bounds its connect in connectRedis; ioredis' own connect timer outlives a refused
    // connection by its full length and would hold the process open.
    connectTimeout: cli ? 0 : 5000,
    // ioredis arms this timer even for a socket that is already gone; keep the CLI's exit prompt.
    disconnectTimeout: cli ? 100 : 500,
    enableAutoPipelining: true,
    commandTimeout: config.redis.commandTimeoutMs,
    // A command issued while Redis is away fails after one reconnect attempt instead of waiting:
    // callers refuse the action (fail closed) rather than hang.
    maxRetriesPerRequest: cli ? 0 : 1,
    // Reconnect quickly so /readyz recovers within a second of Redis coming back.
    retryStrategy: cli ? (times) => (times > 2 ? null : 200) : (times) => Math.min(times * 100, 1000),
  };
  const client: RedisClient =
    config.redis.clusterNodes.length > 0
      ? new Cluster(
          config.redis.clusterNodes.map((n) => {
            const [host, port] = n.split(':');
            return { host: host!, port: Number(port) };
          }),
          {
            lazyConnect: true,
            redisOptions: base,
            enableOfflineQueue: true,
            clusterRetryStrategy: base.retryStrategy,
            maxRedirections: 16,
          } satisfies ClusterOptions,
        )
      : new Redis(config.redis.url, base);

  // Without an 'error' listener ioredis prints every reconnect failure; report state changes only.
  let lastState: 'ready' | 'down' | undefined;
  const report = (state: 'ready' | 'down', reason?: string) => {
    if (state === lastState) return;
    lastState = state;
    options.onStateChange?.(state, reason);
  };
  let lastError: string | undefined;
  client.on('error', (err: Error) => {
    lastError = err.message;
    report('down', err.message);
  });
  client.on('ready', () => report('ready'));
  client.on('close', () => report('down', lastError ?? 'connection closed'));
  return client;
}

/** Connects and waits until Redis answers, or fails with STORE_UNAVAILABLE naming where it looked. */
export async function connectRedis(client: RedisClient, config: Config, timeoutMs = 3000): Promise<void> {
  let lastError = 'no answer';
  let timer: NodeJS.Timeout | undefined;
  const onError = (err: Error) => {
    lastError = err.message;
  };
  client.on('error', onError);
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
      }),
    ]);
    await client.ping();
  } catch (err) {
    client.disconnect();
    const reason = lastError !== 'no answer' ? lastError : (err as Error).message;
    throw new AppError('STORE_UNREACHABLE', undefined, { cause: err, params: { redis: describeRedis(config), reason } });
  } finally {
    clearTimeout(timer);
    client.off('error', onError);
  }
}

/** True when Redis answers a PING within the time limit. */
export async function redisAnswers(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const pong = await Promise.race([
      client.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Quits politely (pending replies arrive first) and resolves once the connection is gone. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === 'end') return;
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
  await ended;
}
