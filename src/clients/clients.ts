import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { requireTenant, tenantIdSchema, type TenantStore } from '../tenants/tenants.js';
import { parseInput } from '../validation.js';

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** An OIDC relying party registered with one tenant's issuer. */
export interface ClientRecord {
  clientId: string;
  tenant: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** Public clients (SPAs, native apps) have no secret and must use PKCE. */
  public: boolean;
  /** First-party apps of the platform skip the consent screen. */
  firstParty: boolean;
  /**
   * A resource server (an API): it signs nobody in, and may introspect every token of its tenant
   * with its own credentials (other clients only their own tokens). Absent on older records.
   */
  resourceServer?: boolean;
  /** How a confidential client sends its secret; only this one is accepted. Absent: client_secret_basic. */
  authMethod?: ClientAuthMethod;
  /** The client secret sealed with the SecretBox; null for public clients. */
  sealedSecret: string | null;
  createdAt: string;
}

export type PublicClientRecord = Omit<ClientRecord, 'sealedSecret'>;

export function toPublicClient({ sealedSecret: _s, ...rest }: ClientRecord): PublicClientRecord {
  return rest;
}

/** Storage the clients domain needs; the Redis implementation sits beside it. */
export interface ClientStore {
  /** Stores a new client; refuses a client id the tenant already has. */
  create(client: ClientRecord): Promise<void>;
  get(tenant: string, clientId: string): Promise<ClientRecord | null>;
  list(tenant: string): Promise<ClientRecord[]>;
  /** Removes a client (undoing a creation whose audit entry failed). */
  remove(tenant: string, clientId: string): Promise<void>;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

const redirectUri = z.string().refine((s) => {
  try {
    const u = new URL(s);
    if (u.hash) return false;
    return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname));
  } catch {
    return false;
  }
}, 'redirect URIs must be absolute https:// URLs (http:// only for localhost) without a fragment');

const createClientInput = z.object({
  tenant: tenantIdSchema,
  clientId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'client id must be 1-100 characters: letters, digits, . _ -'),
  redirectUris: z.array(redirectUri).default([]),
  postLogoutRedirectUris: z.array(redirectUri).default([]),
  public: z.boolean().default(false),
  firstParty: z.boolean().default(false),
  resourceServer: z.boolean().default(false),
  authMethod: z.enum(CLIENT_AUTH_METHODS, { error: `auth method must be ${CLIENT_AUTH_METHODS.join(' or ')}` }).default('client_secret_basic'),
}).superRefine((c, ctx) => {
  if (c.resourceServer) {
    if (c.public) ctx.addIssue({ code: 'custom', path: ['public'], message: 'a resource server authenticates with a secret: it cannot be --public' });
    if (c.redirectUris.length > 0 || c.postLogoutRedirectUris.length > 0) ctx.addIssue({ code: 'custom', path: ['redirectUris'], message: 'a resource server signs nobody in: give it no --redirect-uri' });
  } else if (c.redirectUris.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['redirectUris'], message: 'give at least one --redirect-uri' });
  }
});

export interface ClientDeps {
  clients: ClientStore;
  tenants: TenantStore;
  secretBox: SecretBox;
  clock: Clock;
}

/** Registers a client; the secret (confidential clients) is returned once and stored only sealed. */
export async function createClient(
  deps: ClientDeps,
  input: {
    tenant: string;
    clientId: string;
    redirectUris: string[];
    postLogoutRedirectUris?: string[] | undefined;
    public?: boolean | undefined;
    firstParty?: boolean | undefined;
    resourceServer?: boolean | undefined;
    authMethod?: string | undefined;
  },
): Promise<{ client: ClientRecord; clientSecret: string | null }> {
  const parsed = parseInput(createClientInput, input, 'client');
  await requireTenant(deps.tenants, parsed.tenant);
  const clientSecret = parsed.public ? null : randomBytes(32).toString('base64url');
  const client: ClientRecord = {
    clientId: parsed.clientId,
    tenant: parsed.tenant,
    redirectUris: [...new Set(parsed.redirectUris)],
    postLogoutRedirectUris: [...new Set(parsed.postLogoutRedirectUris)],
    public: parsed.public,
    firstParty: parsed.firstParty,
    resourceServer: parsed.resourceServer,
    ...(parsed.public ? {} : { authMethod: parsed.authMethod }),
    sealedSecret: clientSecret === null ? null : deps.secretBox.seal(clientSecret),
    createdAt: new Date(deps.clock.now()).toISOString(),
  };
  await deps.clients.create(client);
  return { client, clientSecret };
}

/** The token endpoint auth method a client is registered for (public clients: none). */
export function clientAuthMethodOf(c: Pick<ClientRecord, 'public' | 'authMethod'>): ClientAuthMethod | 'none' {
  return c.public ? 'none' : (c.authMethod ?? 'client_secret_basic');
}
