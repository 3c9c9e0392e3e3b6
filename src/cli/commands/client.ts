import type { Command } from 'commander';
import { API_SCOPE_VALUES, toPublicClient, type PublicClientRecord } from '../../clients/clients.js';
import { requireTenant } from '../../tenants/tenants.js';
import { collect } from '../options.js';
import { table, type CliContext } from '../context.js';

const kindOf = (c: PublicClientRecord) =>
  c.resourceServer ? 'resource-server' : c.public ? 'public' : c.redirectUris.length === 0 ? 'machine' : 'confidential';

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
    .option('--api-scope <scope>', `a JSON API scope the client may ask for with client_credentials (repeatable): ${API_SCOPE_VALUES.join(', ')}; without --redirect-uri a machine client`, collect)
    .option('--id-token-alg <alg>', 'how its ID tokens are signed: RS256 (default) or ES256 (cheaper for the issuer; the app must accept it)')
    .option('--backchannel-logout-uri <uri>', 'where the gateway POSTs a signed logout token when a session of this client ends (https://; http:// only for localhost unless BACKCHANNEL_LOGOUT_ALLOW_HTTP)')
    .option('--backchannel-logout-session-required', 'the app needs sid in the logout token (always sent; registered as backchannel_logout_session_required)')
    .action(
      async (
        tenant: string,
        clientId: string,
        opts: {
          redirectUri?: string[]; postLogoutRedirectUri?: string[]; public?: boolean; firstParty?: boolean; resourceServer?: boolean; authMethod?: string; apiScope?: string[]; idTokenAlg?: string;
          backchannelLogoutUri?: string; backchannelLogoutSessionRequired?: boolean;
        },
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
          apiScopes: opts.apiScope,
          idTokenAlg: opts.idTokenAlg,
          backchannelLogoutUri: opts.backchannelLogoutUri,
          backchannelLogoutSessionRequired: opts.backchannelLogoutSessionRequired,
        });
        const shown = { ...toPublicClient(created), client_id: created.clientId, client_secret: clientSecret };
        ctx.print(shown, () =>
          [
            `created ${kindOf(created)} client in tenant ${tenant}`,
            `client_id:     ${created.clientId}`,
            ...(created.apiScopes ? [`api scopes:    ${created.apiScopes.join(' ')} (grant client_credentials)`] : []),
            ...(created.backchannelLogoutUri ? [`back-channel logout: ${created.backchannelLogoutUri}`] : []),
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
      const ops = await ctx.operations();
      await requireTenant((await ctx.domain()).tenants, tenant);
      const clients = await ops.listClients(tenant);
      ctx.print(clients, () =>
        table(
          ['CLIENT_ID', 'TYPE', 'FIRST_PARTY', 'REDIRECT_URIS', 'API_SCOPES'],
          clients.map((c) => [c.clientId, kindOf(c), String(c.firstParty), c.redirectUris.join(' '), (c.apiScopes ?? []).join(' ')]),
        ),
      );
    });

  client
    .command('set <tenant> <client_id>')
    .alias('update')
    .description("change a client's redirect URIs, post-logout redirect URIs (each list given replaces the old one) or back-channel logout URI")
    .option('--redirect-uri <uri>', 'the new redirect URIs (repeatable)', collect)
    .option('--post-logout-redirect-uri <uri>', 'the new post-logout redirect URIs (repeatable)', collect)
    .option('--backchannel-logout-uri <uri>', 'the new back-channel logout URI ("none" removes it)')
    .option('--backchannel-logout-session-required [bool]', 'the app needs sid in the logout token: true (default when given) or false')
    .action(
      async (
        tenant: string,
        clientId: string,
        opts: { redirectUri?: string[]; postLogoutRedirectUri?: string[]; backchannelLogoutUri?: string; backchannelLogoutSessionRequired?: string | boolean },
      ) => {
        const ops = await ctx.operations();
        const required = opts.backchannelLogoutSessionRequired;
        const changed = await ops.updateClient({
          tenant,
          clientId,
          redirectUris: opts.redirectUri,
          postLogoutRedirectUris: opts.postLogoutRedirectUri,
          backchannelLogoutUri: opts.backchannelLogoutUri === 'none' ? null : opts.backchannelLogoutUri,
          // Anything but true/false reaches the domain's check as it is, and is refused there.
          backchannelLogoutSessionRequired: (required === undefined ? undefined : required === true || required === 'true' ? true : required === 'false' ? false : required) as boolean | undefined,
        });
        ctx.print(changed, () =>
          [
            `changed client ${changed.clientId} in tenant ${tenant}`,
            `redirect_uris:             ${changed.redirectUris.join(' ') || '-'}`,
            `post_logout_redirect_uris: ${changed.postLogoutRedirectUris.join(' ') || '-'}`,
            ...(changed.backchannelLogoutUri || opts.backchannelLogoutUri !== undefined ? [`backchannel_logout_uri:    ${changed.backchannelLogoutUri ?? '-'}`] : []),
          ].join('\n'),
        );
      },
    );

  client
    .command('rotate-secret <tenant> <client_id>')
    .description('give a confidential client a new secret (shown once); the old one stops working at once')
    .action(async (tenant: string, clientId: string) => {
      const ops = await ctx.operations();
      const { client: rotated, clientSecret } = await ops.rotateClientSecret({ tenant, clientId });
      ctx.print({ client_id: rotated.clientId, client_secret: clientSecret }, () =>
        [`new secret for client ${rotated.clientId} in tenant ${tenant}`, `client_secret: ${clientSecret}`, 'Store the secret now: it is not shown again; the old one no longer works.'].join('\n'),
      );
    });
}
