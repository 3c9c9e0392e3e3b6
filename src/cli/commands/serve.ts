import cluster from 'node:cluster';
import type { Command } from 'commander';
import { createLogger } from '../../logger.js';
import { startGateway } from '../../main.js';
import { listenClusterMetrics } from '../../metrics/cluster.js';
import { runPrimary, workerCount, workersUp } from '../../workers.js';
import type { CliContext } from '../context.js';

/** Resolves when SIGTERM or SIGINT arrives. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

export function registerServeCommand(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the gateway (same as npm start) until SIGTERM or SIGINT')
    .option('--workers <n>', 'processes serving the one port, each on the shared Redis (default: WEB_CONCURRENCY, else the number of cores)')
    .action(async (opts: { workers?: string }) => {
      ctx.ownsSignals = true;
      const workers = cluster.isWorker ? 1 : workerCount(opts.workers, ctx.io.env);
      if (workers > 1) {
        // The primary forks this same command N times and only watches them (src/workers.ts), and
        // serves their metrics together (METRICS_PORT): a port it cannot have stops the start.
        const logger = createLogger(ctx.config);
        const metrics = ctx.config.metrics.port !== 0 ? await listenClusterMetrics(ctx.config.metrics, logger) : null;
        try {
          ctx.exitCode = await runPrimary(workers, logger, untilSignal(), ctx.config.shutdownTimeoutMs);
        } finally {
          await metrics?.close();
        }
        return;
      }
      // Listening for the signal before starting: one that arrives during the start still stops it.
      const stopSignal = untilSignal();
      let gateway: Awaited<ReturnType<typeof startGateway>>;
      try {
        gateway = await startGateway(ctx.config, { allWorkersUp: workersUp(), metricsServedBy: cluster.isWorker ? 'primary' : 'listener' });
      } catch (err) {
        // A worker that cannot start must end (its channel to the primary would keep it alive):
        // the primary sees it die, and stops the server if that keeps happening.
        if (cluster.isWorker) process.exitCode = 1;
        cluster.worker?.disconnect();
        throw err;
      }
      const signal = await stopSignal;
      gateway.logger.info(`received ${signal}`);
      await gateway.stop();
      // A worker's channel to its primary keeps it alive: let go of it, and the process ends.
      cluster.worker?.disconnect();
    });
}
