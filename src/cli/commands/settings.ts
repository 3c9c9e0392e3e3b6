import type { Command } from 'commander';
import { getSettings, supportModeOf } from '../../settings/settings.js';
import { requireTenant } from '../../tenants/tenants.js';
import { table, type CliContext } from '../context.js';

export function registerSettingsCommands(program: Command, ctx: CliContext): void {
  const settings = program.command('settings').description('global support settings (management tenant)');

  settings
    .command('get')
    .description('show every setting with its effective value (with --tenant: what applies to that tenant)')
    .option('--tenant <tenant>', "a tenant's view: global settings with its support.mode override")
    .action(async (opts: { tenant?: string }) => {
      const d = await ctx.domain();
      const current = await getSettings(d.settings);
      if (opts.tenant) {
        await requireTenant(d.tenants, opts.tenant);
        const mode = await supportModeOf(d.settings, opts.tenant);
        const view = { ...current, 'support.mode': mode.effective, tenant: opts.tenant, 'support.mode.override': mode.tenant ?? 'inherit' };
        ctx.print(view, () => table(['KEY', 'VALUE'], Object.entries(view).map(([k, v]) => [k, String(v)])));
        return;
      }
      ctx.print(current, () => table(['KEY', 'VALUE'], Object.entries(current).map(([k, v]) => [k, String(v)])));
    });

  settings
    .command('set <key> <value>')
    .description('change one setting, e.g. support.globalAccess true|false|<ISO date-time>')
    .option('--tenant <tenant>', 'a tenant override: support.mode read-only (stricter only) or inherit')
    .action(async (key: string, value: string, opts: { tenant?: string }) => {
      const change = await (await ctx.operations()).setSetting(key, value, opts.tenant);
      ctx.print(change, `${opts.tenant ? `${opts.tenant}: ` : ''}${change.key}: ${String(change.before)} -> ${String(change.after)}`);
    });
}
