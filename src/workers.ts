/**
 * `supportgate serve --workers N`: N gateway processes on one port (node:cluster), each the same
 * stateless gateway on the shared Redis, so one machine uses every core. The primary only forks,
 * watches and stops them: it serves nothing and holds no state.
 *
 * - Readiness: a worker's /readyz is 200 only once every worker has been listening (the primary
 *   tells them), so a load balancer does not send traffic to a half-started machine; after that
 *   while any worker listens, so one worker's replacement does not take the machine out.
 * - A worker that dies is replaced after a second; more than 5 deaths within a minute stop the
 *   whole server (exit 1) rather than crash-looping.
 * - SIGTERM/SIGINT to the primary stops every worker gracefully (each finishes its in-flight
 *   requests, see startGateway's stop) and then the primary; a worker still there 5 s after its
 *   shutdownTimeoutMs is killed. A worker whose primary is gone exits (node:cluster does that),
 *   and one that cannot start exits too.
 * - What must happen once across processes (the expiry watcher's end of a window, resolving
 *   interrupted actions) is already claimed in Redis per event, as with several machines.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { AppError } from './errors.js';
import type { Logger } from './logger.js';

/** The message the primary sends its workers whenever the set of listening workers changes. */
interface WorkersUp {
  sg: 'workers-up';
  up: boolean;
}

const isWorkersUp = (m: unknown): m is WorkersUp => typeof m === 'object' && m !== null && (m as WorkersUp).sg === 'workers-up';

/** `--workers`, else WEB_CONCURRENCY, else the number of cores; 1 to 64. */
export function workerCount(option: string | undefined, env: NodeJS.ProcessEnv): number {
  const raw = option ?? (env.WEB_CONCURRENCY && env.WEB_CONCURRENCY.trim() !== '' ? env.WEB_CONCURRENCY : undefined);
  if (raw === undefined) return Math.min(64, availableParallelism());
  const n = /^\d{1,2}$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new AppError('INVALID_WORKERS', undefined, { params: { value: raw.slice(0, 20) } });
  return n;
}

/** In a worker: whether all workers are listening (true outside a cluster). */
export function workersUp(): () => boolean {
  if (!cluster.isWorker) return () => true;
  let up = false;
  process.on('message', (m: unknown) => {
    if (isWorkersUp(m)) up = m.up;
  });
  return () => up;
}

const MAX_DEATHS = 5;
/** The CLI's exit code for an invalid configuration (EX_CONFIG). */
const INVALID_CONFIG_EXIT = 78;
const DEATH_WINDOW_MS = 60_000;

/**
 * Runs the primary: forks `workers` processes running this same command, and resolves with the
 * exit code once they are all gone after `stopOn` (a signal) or too many deaths.
 */
export async function runPrimary(workers: number, logger: Logger, stopOn: Promise<NodeJS.Signals>, shutdownTimeoutMs: number): Promise<number> {
  const listening = new Set<number>();
  let stopping = false;
  let exitCode = 0;
  const deaths: number[] = [];
  // Ready once every worker listened; after that while any does (one worker's death and
  // replacement does not take the whole machine out of its load balancer).
  let allListenedOnce = false;
  const tell = () => {
    if (listening.size === workers) allListenedOnce = true;
    const up = allListenedOnce && listening.size > 0;
    // (A worker between its death and its exit event may refuse the message: it needs none.)
    for (const w of Object.values(cluster.workers ?? {})) if (w?.isConnected()) w.send({ sg: 'workers-up', up } satisfies WorkersUp, () => undefined);
  };
  const fork = () => cluster.fork().on('error', (err: Error) => logger.warn(`supportgate: worker channel: ${err.message}`));

  cluster.on('listening', (worker: Worker, address) => {
    listening.add(worker.id);
    if (listening.size === workers) logger.info(`supportgate: ${workers} workers listening on port ${address.port}`);
    tell();
  });
  let gone: () => void = () => undefined;
  const allGone = new Promise<void>((resolve) => {
    gone = resolve;
    cluster.on('exit', (worker: Worker, code, signal) => {
      listening.delete(worker.id);
      const alive = Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead()).length;
      if (stopping) {
        if (alive === 0) resolve();
        return;
      }
      if (code === INVALID_CONFIG_EXIT) {
        // The configuration the workers read is invalid (it said why): another worker would only die the same way.
        logger.error(`supportgate: worker ${worker.process.pid} refused the configuration; stopping`);
        exitCode = INVALID_CONFIG_EXIT;
        void stopAll();
        if (alive === 0) resolve();
        return;
      }
      logger.error(`supportgate: worker ${worker.process.pid} died (${signal ?? `exit ${code}`}); starting another`);
      tell();
      const now = performance.now();
      deaths.push(now);
      while (deaths.length > 0 && deaths[0]! < now - DEATH_WINDOW_MS) deaths.shift();
      if (deaths.length > MAX_DEATHS) {
        logger.error(`supportgate: ${deaths.length} workers died within a minute; stopping`);
        exitCode = 1;
        void stopAll();
        if (alive === 0) resolve();
        return;
      }
      // Kept referenced: with every worker dead, this timer is what keeps the primary running.
      setTimeout(() => {
        if (!stopping) fork();
      }, 1000);
    });
  });
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    if (alive.length === 0) gone();
    for (const w of alive) w.process.kill('SIGTERM');
    // Each worker gives its requests shutdownTimeoutMs; one that is still there well after is stuck.
    setTimeout(() => {
      for (const w of alive) {
        if (w.isDead()) continue;
        logger.error(`supportgate: worker ${w.process.pid} did not stop; killing it`);
        w.process.kill('SIGKILL');
      }
    }, shutdownTimeoutMs + 5000).unref();
  };
  for (let i = 0; i < workers; i++) fork();
  void stopOn.then((signal) => {
    logger.info(`supportgate: received ${signal}; stopping ${workers} workers`);
    void stopAll();
  });
  await allGone;
  return exitCode;
}
