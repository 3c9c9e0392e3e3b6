import type { Party } from '../audit/entry.js';
import {
  createClient as createClientRecord,
  rotateClientSecret as rotateSecret,
  toPublicClient,
  updateClient as changeClient,
  type ClientRecord,
} from '../clients/clients.js';
import { named, type AdminContext, type AdminRunner } from './context.js';

const clientParty = (c: Pick<ClientRecord, 'clientId' | 'tenant'>): Party => ({ type: 'client', id: c.clientId, name: c.clientId, tenant: c.tenant });

/** OIDC clients of a tenant: register, change the redirect URIs, rotate the secret. Secrets never go into an entry. */
export function clientActions({ domain }: AdminContext, admin: AdminRunner) {
  return {
    /** The tenant's clients, without their sealed secrets. */
    listClients: (tenant: string) => admin.read('client.list', { tenant }, async () => (await domain.clients.list(tenant)).map(toPublicClient)),

    createClient: (input: Parameters<typeof createClientRecord>[1]) =>
      admin.act({
        permission: 'client.create',
        target: { tenant: input.tenant },
        entry: { tenant: input.tenant, action: 'client.created', subject: named('client', input.clientId, input.tenant) },
        run: async () => {
          const created = await createClientRecord(domain, input);
          const c = created.client;
          return {
            value: created,
            subject: clientParty(c),
            details: {
              public: c.public, firstParty: c.firstParty, resourceServer: c.resourceServer === true, redirectUris: c.redirectUris, apiScopes: c.apiScopes ?? [],
              ...(c.backchannelLogoutUri ? { backchannelLogoutUri: c.backchannelLogoutUri, backchannelLogoutSessionRequired: c.backchannelLogoutSessionRequired === true } : {}),
            },
            undo: () => domain.clients.remove(c.tenant, c.clientId),
          };
        },
        // Every gateway drops what it cached of the client (an "unknown client" a moment ago).
        events: (created) => [{ type: 'client.changed', tenant: created.client.tenant, clientId: created.client.clientId }],
      }),

    /** New redirect / post-logout redirect URIs (each list given replaces the old one), or back-channel logout URI (null removes it). */
    updateClient: (input: Parameters<typeof changeClient>[1]) =>
      admin.act({
        permission: 'client.update',
        target: { tenant: input.tenant },
        entry: { tenant: input.tenant, action: 'client.updated', subject: named('client', input.clientId, input.tenant) },
        run: async () => {
          const { before, after } = await changeClient(domain, input);
          return {
            value: toPublicClient(after),
            subject: clientParty(after),
            details: {
              redirectUris: after.redirectUris, postLogoutRedirectUris: after.postLogoutRedirectUris,
              backchannelLogoutUri: after.backchannelLogoutUri ?? null, backchannelLogoutSessionRequired: after.backchannelLogoutSessionRequired === true,
            },
            undo: () =>
              domain.clients.update(after.tenant, after.clientId, (current) => {
                const { backchannelLogoutUri: _u, backchannelLogoutSessionRequired: _r, ...rest } = current;
                return {
                  ...rest,
                  redirectUris: before.redirectUris,
                  postLogoutRedirectUris: before.postLogoutRedirectUris,
                  ...(before.backchannelLogoutUri !== undefined ? { backchannelLogoutUri: before.backchannelLogoutUri, backchannelLogoutSessionRequired: before.backchannelLogoutSessionRequired === true } : {}),
                };
              }),
          };
        },
        events: (client) => [{ type: 'client.changed', tenant: client.tenant, clientId: client.clientId }],
      }),

    /** A new secret for a confidential client, shown to the caller once and stored only sealed. */
    rotateClientSecret: (input: { tenant: string; clientId: string }) =>
      admin.act({
        permission: 'client.rotate-secret',
        target: { tenant: input.tenant },
        entry: { tenant: input.tenant, action: 'client.secret.rotated', subject: named('client', input.clientId, input.tenant) },
        run: async () => {
          const { before, client, clientSecret } = await rotateSecret(domain, input);
          return {
            value: { client: toPublicClient(client), clientSecret },
            subject: clientParty(client),
            // The old secret works again if this rotation cannot be recorded.
            undo: () => domain.clients.update(client.tenant, client.clientId, (current) => ({ ...current, sealedSecret: before.sealedSecret })),
          };
        },
        // Every gateway forgets the old secret now, not when its cached record would go stale.
        events: (rotated) => [{ type: 'client.changed', tenant: rotated.client.tenant, clientId: rotated.client.clientId }],
      }),
  };
}
