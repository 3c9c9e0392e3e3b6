import type { RedisClient } from '../redis/client.js';
import type { GatewayMetrics, RedisErrorKind } from './metrics.js';

/** Marks a command already seen: a cluster client sends a command again itself (redirections, its offline queue). */
const MEASURED = Symbol('supportgate.measured');

/** One command in 8 is timed. */
const SAMPLE_EVERY = 8;

type Send = RedisClient['sendCommand'];
type MeasuredCommand = Parameters<Send>[0] & { [MEASURED]?: true };

/** What a Redis failure was, for its label (bounded: never the message, which may quote a key). */
export function redisErrorKind(err: unknown): RedisErrorKind | null {
  const e = err as { name?: string; message?: string };
  const message = typeof e?.message === 'string' ? e.message : '';
  // The script runner answers NOSCRIPT by sending the script (redis/script.ts): not a failure.
  if (message.startsWith('NOSCRIPT')) return null;
  if (message === 'Command timed out') return 'timeout';
  if (/^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK)\b/.test(message) || e.name === 'ClusterAllFailedError' || message.startsWith('Failed to refresh slots cache')) return 'cluster';
  if (e.name === 'ReplyError') return 'reply';
  if (/Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|Socket closed/i.test(message)) return 'connection';
  return 'other';
}

/**
 * Counts every failed command of `client` and times a sample of them. ioredis has no per-command
 * hook; every command, auto-pipelined or not, goes through the client's `sendCommand` (a pipeline
 * sends its commands through it too), so this instance's method is wrapped. Cost per command:
 * one flag and one rejection handler; a timer only on every 8th (a login issues some thirty
 * commands, an introspection a handful, and their CPU is what the benchmarks hold us to). The
 * latency histogram is therefore a sample: its quantiles are right, its count is 1/8 of the commands.
 */
export function observeRedis(client: RedisClient, metrics: Pick<GatewayMetrics, 'redisCommandFailed' | 'redisCommandTook'>): void {
  const send: Send = client.sendCommand;
  const failed = (err: unknown) => {
    const kind = redisErrorKind(err);
    if (kind) metrics.redisCommandFailed(kind);
  };
  let sent = 0;
  const measured = function (this: RedisClient, command: MeasuredCommand, ...rest: unknown[]) {
    // (CLIENT is the connection's own handshake, whose SETINFO an older server refuses harmlessly.)
    if (command && command[MEASURED] !== true && command.promise && command.name !== 'client') {
      command[MEASURED] = true;
      if (++sent % SAMPLE_EVERY === 0) {
        const start = performance.now();
        const took = () => metrics.redisCommandTook((performance.now() - start) / 1000);
        command.promise.then(took, (err: unknown) => {
          took();
          failed(err);
        });
      } else {
        command.promise.catch(failed);
      }
    }
    return (send as (...args: unknown[]) => unknown).call(this, command, ...rest);
  };
  client.sendCommand = measured as unknown as Send;
}
