import type { Command } from 'commander';
import { startGateway } from '../../main.js';
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
    .action(async () => {
      ctx.ownsSignals = true;
      const gateway = await startGateway(ctx.config);
      const signal = await untilSignal();
      gateway.logger.info(`received ${signal}`);
      await gateway.stop();
    });
}
