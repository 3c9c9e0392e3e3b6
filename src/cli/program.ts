import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { toAppError } from '../errors.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerClientCommands } from './commands/client.js';
import { registerDemoCommands } from './commands/demo.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSettingsCommands } from './commands/settings.js';
import { registerSupportCommands } from './commands/support.js';
import { registerTenantCommands } from './commands/tenant.js';
import { registerUserCommands } from './commands/user.js';
import { CliContext, type CliIO } from './context.js';
import { printable } from '../text/printable.js';

/** Exit codes: 0 done, 1 refused or failed, 2 usage error, 3 Redis unavailable, 78 bad configuration. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unavailable: 3, config: 78 } as const;

// Each command group is one module with one register function: adding `support` or `audit`
// is a new file and one line here.
const COMMAND_GROUPS = [
  registerServeCommand,
  registerDemoCommands,
  registerTenantCommands,
  registerUserCommands,
  registerClientCommands,
  registerSettingsCommands,
  registerSupportCommands,
  registerAuditCommands,
  registerKeysCommands,
];

function buildProgram(ctx: CliContext): Command {
  const program = new Command('supportgate')
    .description('supportgate: OIDC identity provider and auth gateway with support user access')
    .option('--json', 'machine output on stdout (JSON), nothing else there')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
    });
  for (const register of COMMAND_GROUPS) register(program, ctx);
  program.commands.forEach(function inherit(cmd: Command) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => ctx.io.stdout.write(s), writeErr: (s) => ctx.io.stderr.write(s) });
    cmd.commands.forEach(inherit);
  });
  program.hook('preAction', (_this, action) => {
    ctx.json = Boolean(action.optsWithGlobals().json);
  });
  return program;
}

/** Runs the supportgate command line; returns the exit code instead of exiting, for tests. */
export async function runCli(argv: string[], io: CliIO, hooks: { started?: (ctx: CliContext) => void } = {}): Promise<number> {
  const ctx = new CliContext(io);
  hooks.started?.(ctx);
  ctx.json = argv.includes('--json');
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode ?? (ctx.failed ? EXIT.failed : EXIT.ok);
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      io.stderr.write(ctx.json ? `${JSON.stringify({ error: 'invalid_input', message: err.message })}\n` : `supportgate: ${printable(err.message)}\n`);
      return EXIT.usage;
    }
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander; its message has already been printed.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const appError = toAppError(err);
    const message = appError.expose || appError.code === 'INVALID_CONFIG' ? appError.message : `internal error: ${(err as Error).message}`;
    const issues = appError.issues;
    if (ctx.json) {
      io.stderr.write(`${JSON.stringify({ error: appError.code.toLowerCase(), message, ...(issues.length ? { issues } : {}) })}\n`);
    } else if (appError.code === 'INVALID_CONFIG' && issues.length > 0) {
      // One line per bad field, all at once.
      for (const issue of issues) io.stderr.write(`supportgate: invalid configuration: ${issue}\n`);
    } else {
      // Messages can quote what was typed (a username, a reason): never raw to the terminal.
      io.stderr.write(`supportgate: ${printable(message)}\n`);
    }
    if (appError.code === 'INVALID_CONFIG') return EXIT.config;
    if (appError.code === 'STORE_UNAVAILABLE') return EXIT.unavailable;
    return EXIT.failed;
  } finally {
    await ctx.close();
  }
}
