import type { ClientRecord, ClientStore } from '../../clients/clients.js';
import { AppError } from '../../errors.js';

/** The console's client id in every tenant: reserved, never registered by anyone. */
export const CONSOLE_CLIENT_ID = 'supportgate-console';
/** Forward-auth's browser sign-in (apps behind a proxy): reserved the same way. */
export const FORWARD_AUTH_CLIENT_ID = 'supportgate-forward-auth';

/** Forward-auth's sign-in callback and signed-out page, on the gateway's own origin. */
export const forwardAuthPaths = (publicUrl: string) => ({ callback: `${publicUrl}/auth/callback`, signedOut: `${publicUrl}/auth/signed-out` });

/** Where the console of a tenant lives, and its sign-in callback and signed-out page. */
export const consolePaths = (publicUrl: string, tenant: string) => {
  const base = `${publicUrl}/t/${tenant}/console`;
  return { base, callback: `${base}/callback`, signedOut: `${base}/signed-out` };
};

/** A built-in record: a public client (code + PKCE), first party (no consent screen). */
function builtInClient(publicUrl: string, tenant: string, clientId: string): ClientRecord {
  const paths = clientId === CONSOLE_CLIENT_ID ? consolePaths(publicUrl, tenant) : forwardAuthPaths(publicUrl);
  return {
    clientId,
    tenant,
    redirectUris: [paths.callback],
    postLogoutRedirectUris: [paths.signedOut],
    public: true,
    firstParty: true,
    resourceServer: false,
    sealedSecret: null,
    createdAt: new Date(0).toISOString(),
  };
}

/** The clients every tenant has without registering them. */
const BUILT_IN: ReadonlySet<string> = new Set([CONSOLE_CLIENT_ID, FORWARD_AUTH_CLIENT_ID]);

/**
 * The clients every issuer sees: the tenant's registered ones plus the built-in ones (the console, forward-auth's sign-in), which each
 * tenant has without registering it (so it exists for tenants created before the console, and
 * nobody can change its redirect URIs). Registering its id is refused; lists leave it out.
 * A Proxy keeps every other method of the store as it is, including ones added later.
 */
export function withConsoleClient(store: ClientStore, publicUrl: string): ClientStore {
  const overrides: Partial<ClientStore> = {
    get: async (tenant, clientId) => (BUILT_IN.has(clientId) ? builtInClient(publicUrl, tenant, clientId) : store.get(tenant, clientId)),
    list: async (tenant) => (await store.list(tenant)).filter((c) => !BUILT_IN.has(c.clientId)),
    create: async (client) => {
      // Every tenant already has it.
      if (BUILT_IN.has(client.clientId)) throw new AppError('CLIENT_EXISTS', undefined, { params: { clientId: client.clientId, tenant: client.tenant } });
      return store.create(client);
    },
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop in overrides) return overrides[prop as keyof ClientStore];
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
