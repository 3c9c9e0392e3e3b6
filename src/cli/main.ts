import type { CliContext } from './context.js';
import { runCli } from './program.js';

// A reader that stops early (`| head`) closes the pipe: stop quietly, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

/**
 * Ctrl-C or a TERM during an action lets it finish with its audit entry, then stops (130/143):
 * an audited change is never cut off from its entry by a polite signal (kill -9 is handled by the
 * write-ahead records, see src/audit/audited.ts). A second signal stops at once.
 */
function stopAfterTheAction(): (ctx: CliContext) => void {
  let context: CliContext | undefined;
  let signalled = false;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      if (context?.ownsSignals) return; // serve stops gracefully on its own
      if (signalled || !context) process.exit(code);
      signalled = true;
      process.exitCode = code;
      void context.whenIdle().then(() => process.exit(code));
    });
  }
  return (ctx) => {
    context = ctx;
  };
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}, { started: stopAfterTheAction() });
