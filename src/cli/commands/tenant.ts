import type { Command } from 'commander';
import { collect } from '../options.js';
import { table, type CliContext } from '../context.js';

export function registerTenantCommands(program: Command, ctx: CliContext): void {
  const tenant = program.command('tenant').description('create, list, suspend and resume tenants');

  tenant
    .command('create <tenant>')
    .description('create a tenant (id: lowercase letter, then lowercase letters, digits or -)')
    .option('--name <name>', 'display name (default: the id)')
    .option('--domain <domain>', 'a host name that selects this tenant at login (repeatable)', collect)
    .action(async (id: string, opts: { name?: string; domain?: string[] }) => {
      const created = await (await ctx.operations()).createTenant({ id, name: opts.name, domains: opts.domain });
      ctx.print(created, `created tenant ${created.id} (${created.name})${created.domains.length ? ` with domains ${created.domains.join(', ')}` : ''}`);
    });

  tenant
    .command('suspend <tenant>')
    .description("suspend a tenant: its issuer stops answering and all its sessions and tokens end (repeating it is safe)")
    .action(async (id: string) => {
      const change = await (await ctx.operations()).suspendTenant(id);
      ctx.print(
        change,
        change.changed
          ? `suspended tenant ${change.tenant.id}: its sign-ins are refused and its sessions and tokens are being ended`
          : `tenant ${change.tenant.id} was already suspended; its sessions and tokens are being ended again`,
      );
    });

  tenant
    .command('resume <tenant>')
    .description('make a suspended tenant active again (sessions ended by the suspension stay ended)')
    .action(async (id: string) => {
      const change = await (await ctx.operations()).resumeTenant(id);
      ctx.print(change, change.changed ? `resumed tenant ${change.tenant.id}: its users can sign in again` : `tenant ${change.tenant.id} is already active; nothing changed`);
    });

  tenant
    .command('list')
    .description('list tenants, oldest first')
    .action(async () => {
      const d = await ctx.domain();
      const all = await d.tenants.list();
      ctx.print(all, () =>
        table(
          ['TENANT', 'NAME', 'STATUS', 'DOMAINS', 'CREATED'],
          all.map((t) => [t.id, t.name, t.status, t.domains.join(',') || '-', t.createdAt]),
        ),
      );
    });
}
