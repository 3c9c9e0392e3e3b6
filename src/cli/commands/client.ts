import type { Command } from 'commander';
import { toPublicClient } from '../../clients/clients.js';
import { requireTenant } from '../../tenants/tenants.js';
import { collect } from '../options.js';
import { table, type CliContext } from '../context.js';

export function registerClientCommands(program: Command, ctx: CliContext): void {
  const client = program.command('client').description('register the OIDC clients (tenant apps) of a tenant');

  client
    .command('create <tenant> <client_id>')
    .description('register a client; prints its client_id and, for confidential clients, the client_secret (shown once)')
    .option('--redirect-uri <uri>', 'where the issuer may send the browser back (repeatable; required unless --resource-server)', collect)
    .option('--post-logout-redirect-uri <uri>', 'where logout may send the browser back (repeatable)', collect)
    .option('--public', 'a public client (SPA, native app): no secret, PKCE required')
    .option('--first-party', "a platform's own app: users are not asked for consent")
    .option('--auth-method <method>', 'how a confidential client sends its secret: client_secret_basic (default) or client_secret_post; the other is refused')
    .option('--resource-server', 'an API that signs nobody in but may introspect every token of the tenant (confidential, no redirect URIs)')
    .action(
      async (
        tenant: string,
        clientId: string,
        opts: { redirectUri?: string[]; postLogoutRedirectUri?: string[]; public?: boolean; firstParty?: boolean; resourceServer?: boolean; authMethod?: string },
      ) => {
        const ops = await ctx.operations();
        const { client: created, clientSecret } = await ops.createClient({
          tenant,
          clientId,
          redirectUris: opts.redirectUri ?? [],
          postLogoutRedirectUris: opts.postLogoutRedirectUri,
          public: opts.public,
          firstParty: opts.firstParty,
          resourceServer: opts.resourceServer,
          authMethod: opts.authMethod,
        });
        const shown = { ...toPublicClient(created), client_id: created.clientId, client_secret: clientSecret };
        ctx.print(shown, () =>
          [
            `created ${created.resourceServer ? 'resource server' : created.public ? 'public' : 'confidential'} client in tenant ${tenant}`,
            `client_id:     ${created.clientId}`,
            ...(clientSecret ? [`client_secret: ${clientSecret}`, 'Store the secret now: it is not shown again.'] : []),
            `issuer:        ${ctx.config.publicUrl}/t/${tenant}`,
          ].join('\n'),
        );
      },
    );

  client
    .command('list <tenant>')
    .description('list the clients of a tenant (never their secrets)')
    .action(async (tenant: string) => {
      const d = await ctx.domain();
      await requireTenant(d.tenants, tenant);
      const clients = (await d.clients.list(tenant)).map(toPublicClient);
      ctx.print(clients, () =>
        table(
          ['CLIENT_ID', 'TYPE', 'FIRST_PARTY', 'REDIRECT_URIS'],
          clients.map((c) => [c.clientId, c.resourceServer ? 'resource-server' : c.public ? 'public' : 'confidential', String(c.firstParty), c.redirectUris.join(' ')]),
        ),
      );
    });
}
