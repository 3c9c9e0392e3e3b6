import type { Command } from 'commander';
import { getSettings } from '../../settings/settings.js';
import { table, type CliContext } from '../context.js';

export function registerSettingsCommands(program: Command, ctx: CliContext): void {
  const settings = program.command('settings').description('global support settings (management tenant)');

  settings
    .command('get')
    .description('show every setting with its effective value')
    .action(async () => {
      const d = await ctx.domain();
      const current = await getSettings(d.settings);
      ctx.print(current, () => table(['KEY', 'VALUE'], Object.entries(current).map(([k, v]) => [k, String(v)])));
    });

  settings
    .command('set <key> <value>')
    .description('change one setting, e.g. support.globalAccess true|false|<ISO date-time>')
    .action(async (key: string, value: string) => {
      const change = await (await ctx.operations()).setSetting(key, value);
      ctx.print(change, `${change.key}: ${String(change.before)} -> ${String(change.after)}`);
    });
}
