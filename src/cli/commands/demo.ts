import type { Command } from 'commander';
import { seedDemo } from '../../demo/seed.js';
import { table, type CliContext } from '../context.js';

export function registerDemoCommands(program: Command, ctx: CliContext): void {
  const demo = program.command('demo').description('demo data');

  demo
    .command('seed')
    .description('create (or reset) the demo tenants and accounts and print their logins')
    .action(async () => {
      const accounts = await seedDemo(await ctx.domain(), await ctx.operations());
      ctx.print({ accounts }, () => table(['TENANT', 'USERNAME', 'PASSWORD', 'WHO'], accounts.map((a) => [a.tenant, a.login, a.password, a.what])));
    });
}
