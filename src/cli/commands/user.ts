import type { Command } from 'commander';
import { requireTenant } from '../../tenants/tenants.js';
import { toPublicUser, type PublicUser } from '../../users/users.js';
import { collect, parseBooleanFlag } from '../options.js';
import { table, type CliContext } from '../context.js';

function describeUser(u: PublicUser): string {
  const scope = u.roles.includes('support') ? `, scope: ${u.scope.join(',') || '(none)'}` : '';
  return `${u.username} in tenant ${u.tenant} (id ${u.id}), roles: ${u.roles.join(',')}${scope}, ${u.enabled ? 'enabled' : 'disabled'}`;
}

export function registerUserCommands(program: Command, ctx: CliContext): void {
  const user = program.command('user').description('create, change and list users (support users live in the management tenant)');

  user
    .command('create <tenant> <username>')
    .description('create a user; the password is read from stdin')
    .requiredOption('--password-stdin', 'read the password from stdin (required: never pass it as an argument)')
    .option('--role <role>', 'user | tenant-admin | auditor; in management also platform-admin | support (repeatable; default user)', collect)
    .option('--scope <tenant>', 'support users: a tenant they may enter, or * for all but management (repeatable)', collect)
    .action(async (tenant: string, username: string, opts: { role?: string[]; scope?: string[] }) => {
      const password = await ctx.readPassword();
      const ops = await ctx.operations();
      const created = toPublicUser(await ops.createUser({ tenant, username, password, roles: opts.role, scope: opts.scope }));
      ctx.print(created, `created user ${describeUser(created)}`);
    });

  user
    .command('set <tenant> <username>')
    .description('change a user: enabled flag, roles (replacing them), scope, password')
    .option('--enabled <bool>', 'true | false', parseBooleanFlag)
    .option('--role <role>', 'the new roles, replacing the old ones (repeatable)', collect)
    .option('--scope <tenant>', 'the new scope of a support user, replacing the old one (repeatable)', collect)
    .option('--password-stdin', 'set a new password, read from stdin')
    .action(
      async (
        tenant: string,
        username: string,
        opts: { enabled?: boolean; role?: string[]; scope?: string[]; passwordStdin?: boolean },
      ) => {
        const password = opts.passwordStdin ? await ctx.readPassword() : undefined;
        const ops = await ctx.operations();
        const after = await ops.setUser({ tenant, username, enabled: opts.enabled, roles: opts.role, scope: opts.scope, password });
        const shown = toPublicUser(after);
        ctx.print(shown, `updated user ${describeUser(shown)}`);
      },
    );

  user
    .command('list <tenant>')
    .description('list the users of a tenant, oldest first')
    .action(async (tenant: string) => {
      const d = await ctx.domain();
      await requireTenant(d.tenants, tenant);
      const users = (await d.users.list(tenant)).map(toPublicUser);
      ctx.print(users, () =>
        table(
          ['USERNAME', 'ID', 'ROLES', 'SCOPE', 'ENABLED', 'CREATED'],
          users.map((u) => [u.username, u.id, u.roles.join(','), u.scope.join(',') || '-', String(u.enabled), u.createdAt]),
        ),
      );
    });
}
