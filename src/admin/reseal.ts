import type { SigningKeys } from '../secrets/signing-keys.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import type { AdminContext, AdminRunner } from './context.js';

/** What `keys reseal` sealed anew, per kind. */
export interface Resealed {
  clientSecrets: number;
  signingKeys: number;
  /** Clients whose secret was sealed anew (each gateway drops its cached record). */
  clients: { tenant: string; clientId: string }[];
}

/**
 * After a new CLIENT_SECRETS_KEY was put first on every gateway: seals every secret stored in
 * Redis (client secrets, signing keys) anew with it, so the older keys can be dropped. Safe to
 * repeat; what is already sealed with the newest key is left alone.
 */
export function resealActions({ domain }: AdminContext, admin: AdminRunner) {
  return {
    resealSecrets: (keys: SigningKeys) =>
      admin.act({
        permission: 'keys.rotate',
        target: { tenant: MANAGEMENT_TENANT },
        entry: { tenant: MANAGEMENT_TENANT, action: 'keys.resealed' },
        run: async () => {
          const box = domain.secretBox;
          const result: Resealed = { clientSecrets: 0, signingKeys: 0, clients: [] };
          result.signingKeys += await keys.reseal({ kind: 'platform' });
          for (const tenant of await domain.tenants.list()) {
            result.signingKeys += await keys.reseal({ kind: 'tenant', tenant: tenant.id });
            for (const c of await domain.clients.list(tenant.id)) {
              if (c.sealedSecret === null || box.sealedWithNewest(c.sealedSecret)) continue;
              await domain.clients.update(tenant.id, c.clientId, (current) =>
                current.sealedSecret === null || box.sealedWithNewest(current.sealedSecret) ? current : { ...current, sealedSecret: box.seal(box.open(current.sealedSecret)) },
              );
              result.clientSecrets++;
              result.clients.push({ tenant: tenant.id, clientId: c.clientId });
            }
          }
          // (Detail keys naming a secret are refused as secrets, audit/entry.ts: hence these names.)
          return { value: result, details: { clientsResealed: result.clientSecrets, signingKeysResealed: result.signingKeys } };
        },
        events: (r) => r.clients.map((c) => ({ type: 'client.changed' as const, tenant: c.tenant, clientId: c.clientId })),
      }),
  };
}
