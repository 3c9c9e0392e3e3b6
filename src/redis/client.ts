import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from '../config.js';
import { describeRedis } from '../config.js';
import { AppError } from '../errors.js';

/** The one Redis connection of a process: standalone or cluster, chosen by config. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectOptions {
  /**
   * `server` reconnects forever (readiness reports the outage, commands fail fast meanwhile);
   * `cli` gives up after a short try so a command exits with a clear message. Both refuse a
   * command at once while disconnected: connect first (connectRedis, or wait for 'ready').
   */
  mode: 'server' | 'cli';
  onStateChange?: (state: 'ready' | 'down', reason?: string) => void;
}

/**
 * ioredis tries a command again while a cluster fails over (node connection lost, TRYAGAIN), this
 * long apart, refreshing its slot map in between: after a replica took over, the next try finds
 * it. The tries have no timer of their own; the redirection limit below bounds them.
 */
const CLUSTER_RETRY_DELAY_MS = 100;

export function createRedis(config: Config, options: RedisConnectOptions): RedisClient {
  const cli = options.mode === 'cli';
  const timeoutMs = config.redis.commandTimeoutMs;
  const base: RedisOptions = {
    lazyConnect: true,
    // The CLI bounds its connect in connectRedis; ioredis' own connect timer outlives a refused
    // connection by its full length and would hold the process open.
    connectTimeout: cli ? 0 : 5000,
    // ioredis arms this timer even for a socket that is already gone; keep the CLI's exit prompt.
    disconnectTimeout: cli ? 100 : 500,
    enableAutoPipelining: true,
    // Fail fast (issue 10): while Redis is away a request is refused at once with 503 instead of
    // piling up in a queue that answers it seconds later. No command waits longer than this:
    commandTimeout: timeoutMs,
    // - no offline queue once connected (see below): a command issued while the connection is
    //   down fails immediately ("Stream isn't writeable"); readiness reports the outage,
    //   reconnecting goes on meanwhile;
    // - a command in flight when the connection drops fails with it rather than being sent again
    //   after a reconnect: its request has been refused by then, and a write must not land late;
    maxRetriesPerRequest: 0,
    // - a Redis that stops answering (hung, partitioned) costs one timeout, not one per command:
    //   the socket is dropped when nothing came back within the command timeout, so the commands
    //   after it fail at once as above.
    socketTimeout: timeoutMs,
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
            // While no node answers, commands fail at once, from the start: the cluster's own
            // queue has no timer (the nodes' connections always queue, within the timeout).
            enableOfflineQueue: false,
            clusterRetryStrategy: base.retryStrategy,
            // A cluster that says CLUSTERDOWN has decided it cannot serve: refused at once (503,
            // and readiness says so), not tried again while the request waits.
            retryDelayOnClusterDown: 0,
            retryDelayOnFailover: CLUSTER_RETRY_DELAY_MS,
            retryDelayOnTryAgain: CLUSTER_RETRY_DELAY_MS,
            // Every try of one command within half the command timeout: a request whose tenant
            // record is re-read first (tenant-cache) and then fails on its own slot still answers
            // within one command timeout.
            maxRedirections: Math.max(2, Math.floor(timeoutMs / 2 / CLUSTER_RETRY_DELAY_MS)),
            slotsRefreshTimeout: Math.min(timeoutMs, 1000),
          } satisfies ClusterOptions,
        )
      : new Redis(config.redis.url, base);

  // Start-up work may be issued before the first connection to a standalone Redis is up (the
  // gateway connects in the background, the demo seeds at once): until then commands wait for it,
  // each within its command timeout (a failed connection attempt fails them at once). From then
  // on nothing waits: while disconnected, commands fail at once.
  if (client instanceof Redis) {
    client.once('ready', () => {
      client.options.enableOfflineQueue = false;
    });
  }

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

/** What readiness reports of Redis: answering, not answering, or a cluster that says it cannot serve. */
export type RedisHealth = 'up' | 'down' | 'cluster-fail';

const CLUSTER_SLOTS = 16384;

/**
 * Whether Redis can serve every request now, within the time limit. Standalone: it answers a
 * PING. Cluster: every slot has a master in the client's map, each of those masters answers
 * CLUSTER INFO, and each reports `cluster_state:ok` with every slot ok. So a master that is gone
 * takes readiness down at once ('down'), before the cluster itself notices; once it has, the
 * survivors' own verdict is reported ('cluster-fail').
 */
export async function redisHealth(client: RedisClient, timeoutMs: number): Promise<RedisHealth> {
  if (client.status !== 'ready') return 'down';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
  });
  try {
    if (!(client instanceof Cluster)) return (await Promise.race([client.ping(), timeout])) === 'PONG' ? 'up' : 'down';
    const connected = new Map(client.nodes('master').map((node) => [`${node.options.host}:${node.options.port}`, node]));
    const serving = new Set<string>();
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) serving.add(client.slots[slot]?.[0] ?? 'none');
    const asked = [...connected.values()].map((node) => (node.cluster('INFO') as Promise<string>).catch(() => null));
    const infos = await Promise.race([Promise.all(asked), timeout]);
    const answered = infos.filter((info) => info !== null);
    if (answered.some((info) => !info.includes('cluster_state:ok') || !info.includes(`cluster_slots_ok:${CLUSTER_SLOTS}`))) return 'cluster-fail';
    const reachable = [...serving].every((key) => connected.has(key));
    return reachable && answered.length === infos.length ? 'up' : 'down';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** Quits politely (pending replies arrive first) and resolves once the connection is gone. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    // Redis is away (stopping during an outage): nothing to finish politely. ioredis emits no
    // 'end' for a client waiting to reconnect, so waiting for one would hang the shutdown.
    client.disconnect();
    return;
  }
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
  await ended;
}
