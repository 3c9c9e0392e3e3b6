import cluster from 'node:cluster';
import type { Command } from 'commander';
import { createLogger } from '../../logger.js';
import { startGateway } from '../../main.js';
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
        // The primary forks this same command N times and only watches them (src/workers.ts).
        process.exitCode = await runPrimary(workers, createLogger(ctx.config), untilSignal());
        return;
      }
      const gateway = await startGateway(ctx.config, { allWorkersUp: workersUp() });
      const signal = await untilSignal();
      gateway.logger.info(`received ${signal}`);
      await gateway.stop();
      // A worker's channel to its primary keeps it alive: let go of it, and the process ends.
      if (cluster.isWorker) cluster.worker?.disconnect();
    });
}
