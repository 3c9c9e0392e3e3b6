import { InvalidArgumentError, type Command } from 'commander';
import { tenantView } from '../../tenants/tenants.js';
import { collect } from '../options.js';
import { table, type CliContext } from '../context.js';

const COOKIE_DOMAIN_HELP =
  'the parent domain the forward-auth cookie is set for, so one sign-in serves every app of the tenant under it (e.g. shop.example for app.shop.example); it must cover a domain of the tenant and no domain of another';

export function registerTenantCommands(program: Command, ctx: CliContext): void {
  const tenant = program.command('tenant').description('create, list, update, suspend and resume tenants');

  tenant
    .command('create <tenant>')
    .description('create a tenant (id: lowercase letter, then lowercase letters, digits or -)')
    .option('--name <name>', 'display name (default: the id)')
    .option('--domain <domain>', 'a host name that selects this tenant at login (repeatable)', collect)
    .option('--cookie-domain <domain>', COOKIE_DOMAIN_HELP)
    .option('--platform-keys', "sign this tenant's tokens with the platform's keys instead of keys of its own (own keys: its tokens verify against no other tenant's JWKS)")
    .action(async (id: string, opts: { name?: string; domain?: string[]; cookieDomain?: string; platformKeys?: boolean }) => {
      const created = await (await ctx.operations()).createTenant({ id, name: opts.name, domains: opts.domain, cookieDomain: opts.cookieDomain, signingKeys: opts.platformKeys ? 'platform' : 'own' });
      const domains = created.domains.length ? ` with domains ${created.domains.join(', ')}` : '';
      const cookie = created.cookieDomain ? ` and cookie domain ${created.cookieDomain}` : '';
      ctx.print(created, `created tenant ${created.id} (${created.name})${domains}${cookie}`);
    });

  // Both flags write opts.cookieDomain (the last one wins), so which were given is counted apart.
  const given = new Set<string>();
  tenant
    .command('update <tenant>')
    .description("change a tenant's forward-auth cookie domain: --cookie-domain <domain> sets it, --no-cookie-domain clears it")
    .option('--cookie-domain <domain>', COOKIE_DOMAIN_HELP)
    .option('--no-cookie-domain', 'clear it: each app host gets its own cookie')
    .on('option:cookie-domain', () => given.add('--cookie-domain'))
    .on('option:no-cookie-domain', () => given.add('--no-cookie-domain'))
    .action(async (id: string, opts: { cookieDomain?: string | boolean }) => {
      if (given.size !== 1) throw new InvalidArgumentError('give exactly one of --cookie-domain <domain> and --no-cookie-domain');
      const cookieDomain = typeof opts.cookieDomain === 'string' ? opts.cookieDomain : null;
      const change = await (await ctx.operations()).updateTenant({ id, cookieDomain });
      const now = change.tenant.cookieDomain;
      ctx.print(
        change,
        !change.changed
          ? `tenant ${change.tenant.id} already ${now ? `has cookie domain ${now}` : 'has no cookie domain'}; nothing changed`
          : now
            ? `tenant ${change.tenant.id} now has cookie domain ${now}: one sign-in serves its apps under it`
            : `tenant ${change.tenant.id} has no cookie domain any more: each app host gets its own cookie`,
      );
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
      const all = (await d.tenants.list()).map(tenantView);
      ctx.print(all, () =>
        table(
          ['TENANT', 'NAME', 'STATUS', 'DOMAINS', 'COOKIE_DOMAIN', 'SIGNING_KEYS', 'CREATED'],
          all.map((t) => [t.id, t.name, t.status, t.domains.join(',') || '-', t.cookieDomain ?? '-', t.signingKeys, t.createdAt]),
        ),
      );
    });
}
