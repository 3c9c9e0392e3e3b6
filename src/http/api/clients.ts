import { z } from 'zod';
import { API_SCOPE_VALUES, CLIENT_AUTH_METHODS, ID_TOKEN_ALGS, toPublicClient } from '../../clients/clients.js';
import { route } from './route.js';
import { clientWithSecret, publicClient, tenantParam, tenantPath } from './schemas.js';

const clientPath = z.object({ tenant: tenantParam, clientId: z.string().max(100).meta({ example: 'portal' }) });
const uris = z.array(z.string()).meta({ description: 'Absolute https:// URLs (http:// only for localhost), no fragment' });
const backchannelLogoutUri = z.string().meta({
  description: 'OpenID Connect Back-Channel Logout 1.0: where a signed Logout Token is POSTed when a session of this client ends. Absolute https:// URL (http:// only for localhost, 127.0.0.1, [::1] unless BACKCHANNEL_LOGOUT_ALLOW_HTTP), no fragment',
});
const backchannelLogoutSessionRequired = z.boolean().meta({ description: 'The client needs sid in the Logout Token (the gateway always sends it)' });

const createBody = z
  .strictObject({
    clientId: z.string().meta({ example: 'reports' }),
    redirectUris: uris.optional(),
    postLogoutRedirectUris: uris.optional(),
    public: z.boolean().optional().meta({ description: 'A SPA or native app: no secret, PKCE' }),
    firstParty: z.boolean().optional().meta({ description: 'Users are not asked for consent' }),
    resourceServer: z.boolean().optional().meta({ description: 'An API: signs nobody in, may introspect every token of the tenant' }),
    authMethod: z.enum(CLIENT_AUTH_METHODS).optional(),
    apiScopes: z
      .array(z.enum(API_SCOPE_VALUES))
      .optional()
      .meta({ description: 'JSON API scopes the client may ask for with client_credentials (a client is only ever granted reads: audit:read, support:read, users:read, clients:read)' }),
    idTokenAlg: z.enum(ID_TOKEN_ALGS).optional().meta({ description: 'How its ID tokens are signed: RS256 (default) or ES256' }),
    backchannelLogoutUri: backchannelLogoutUri.optional(),
    backchannelLogoutSessionRequired: backchannelLogoutSessionRequired.optional(),
  })
  .meta({ id: 'ClientInput' });

const changeBody = z
  .strictObject({
    redirectUris: uris.optional(),
    postLogoutRedirectUris: uris.optional(),
    backchannelLogoutUri: backchannelLogoutUri.nullable().optional().meta({ description: 'The new back-channel logout URI; null removes it' }),
    backchannelLogoutSessionRequired: backchannelLogoutSessionRequired.optional(),
  })
  .meta({ id: 'ClientChange', description: 'Each list given replaces the old one' });

/** The tenant's OIDC clients (its admin's). A secret is in an answer once, when it is made. */
export const clientRoutes = [
  route({
    id: 'listClients',
    method: 'get',
    path: '/{tenant}/clients',
    tag: 'clients',
    summary: "The tenant's clients (never their secrets)",
    permission: 'client.list',
    params: tenantPath,
    answer: { status: 200, description: 'The clients', schema: z.array(publicClient) },
    run: ({ admin, caller }) => admin.listClients(caller.tenant),
  }),
  route({
    id: 'createClient',
    method: 'post',
    path: '/{tenant}/clients',
    tag: 'clients',
    summary: 'Registers a client; a confidential one gets its secret in this answer only',
    permission: 'client.create',
    params: tenantPath,
    body: createBody,
    answer: { status: 201, description: 'The client and its secret', schema: clientWithSecret },
    run: async ({ admin, caller, body }) => {
      const { client, clientSecret } = await admin.createClient({ tenant: caller.tenant, redirectUris: body.redirectUris ?? [], ...body });
      return { client: toPublicClient(client), clientSecret };
    },
  }),
  route({
    id: 'updateClient',
    method: 'patch',
    path: '/{tenant}/clients/{clientId}',
    tag: 'clients',
    summary: "Changes a client's redirect URIs, post-logout redirect URIs and back-channel logout URI",
    permission: 'client.update',
    params: clientPath,
    body: changeBody,
    answer: { status: 200, description: 'The client as changed', schema: publicClient },
    run: ({ admin, caller, params, body }) => admin.updateClient({ tenant: caller.tenant, clientId: params.clientId, ...body }),
  }),
  route({
    id: 'rotateClientSecret',
    method: 'post',
    path: '/{tenant}/clients/{clientId}/secret',
    tag: 'clients',
    summary: "Rotates a confidential client's secret: the new one is in this answer only, the old one stops working",
    permission: 'client.rotate-secret',
    params: clientPath,
    answer: { status: 200, description: 'The client and its new secret', schema: clientWithSecret },
    run: ({ admin, caller, params }) => admin.rotateClientSecret({ tenant: caller.tenant, clientId: params.clientId }),
  }),
];
