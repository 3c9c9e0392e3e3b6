import { createClient as createClientRecord, toPublicClient } from '../clients/clients.js';
import { named, type AdminContext, type AdminRunner } from './context.js';

/** OIDC clients of a tenant: register. */
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
            subject: { type: 'client', id: c.clientId, name: c.clientId, tenant: c.tenant },
            details: { public: c.public, firstParty: c.firstParty, resourceServer: c.resourceServer === true, redirectUris: c.redirectUris },
            undo: () => domain.clients.remove(c.tenant, c.clientId),
          };
        },
      }),
  };
}
