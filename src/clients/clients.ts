import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Party } from '../audit/entry.js';
import { AppError } from '../errors.js';
import { requireTenant, tenantIdSchema, type TenantStore } from '../tenants/tenants.js';
import { parseInput } from '../validation.js';

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/**
 * The JSON API's scopes: what a client may be registered for (`apiScopes`), and what every issuer
 * offers in a token. Which admin actions each one covers is the policy's (src/admin/policy.ts
 * API_SCOPES, whose keys must be exactly these; test/api/clients.test.ts holds them together).
 */
export const API_SCOPE_VALUES = [
  'audit:read',
  'support:read',
  'support:write',
  'users:read',
  'users:write',
  'clients:read',
  'clients:write',
  'tenants:read',
  'tenants:write',
  'settings:write',
] as const;
export type ApiScopeValue = (typeof API_SCOPE_VALUES)[number];

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
  /**
   * The JSON API scopes the client may ask for: with any, it may use the client_credentials grant
   * (machine to machine), and the tokens it obtains for users carry no other API scope. Absent or
   * empty: no client_credentials, and user tokens may carry any scope the user consents to.
   */
  apiScopes?: ApiScopeValue[];
  /**
   * How its ID tokens are signed. Absent: RS256, what every client gets unless it registers
   * another; ES256 costs the issuer about a fifth of RS256's signing time (the JWKS must hold an
   * EC P-256 key: development keys do).
   */
  idTokenAlg?: IdTokenAlg;
  /**
   * OpenID Connect Back-Channel Logout 1.0: where the gateway POSTs a signed Logout Token whenever
   * a session this client is part of ends (src/oidc/backchannel-logout.ts). Absent: none is sent.
   */
  backchannelLogoutUri?: string;
  /** The client needs `sid` in the Logout Token (the gateway always sends it; registered for the metadata). */
  backchannelLogoutSessionRequired?: boolean;
  /** The client secret sealed with the SecretBox; null for public clients. */
  sealedSecret: string | null;
  createdAt: string;
}

/** The ID token signing algorithms a client may register. */
export const ID_TOKEN_ALGS = ['RS256', 'ES256'] as const;
export type IdTokenAlg = (typeof ID_TOKEN_ALGS)[number];

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
  /** Read-modify-write of one client, safe against concurrent writers; CLIENT_NOT_IN_TENANT if absent. */
  update(tenant: string, clientId: string, mutate: (client: ClientRecord) => ClientRecord): Promise<ClientRecord>;
  /** Removes a client (undoing a creation whose audit entry failed). */
  remove(tenant: string, clientId: string): Promise<void>;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Registration rules that depend on the deployment (config), not on the client. */
export interface ClientRules {
  /** BACKCHANNEL_LOGOUT_ALLOW_HTTP: plain http:// back-channel logout URIs on hosts other than loopback. */
  backchannelLogoutAllowHttp: boolean;
}

export const DEFAULT_CLIENT_RULES: ClientRules = { backchannelLogoutAllowHttp: false };

/** Why a back-channel logout URI is refused, or null when it may be registered. */
export function backchannelLogoutUriProblem(s: string, rules: ClientRules): string | null {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return 'the back-channel logout URI must be an absolute URL';
  }
  if (u.hash || s.includes('#')) return 'the back-channel logout URI must not have a fragment';
  if (u.username || u.password) return 'the back-channel logout URI must not carry credentials';
  if (u.protocol === 'https:') return null;
  if (u.protocol !== 'http:') return 'the back-channel logout URI must be an https:// URL';
  if (LOOPBACK.has(u.hostname) || rules.backchannelLogoutAllowHttp) return null;
  return 'the back-channel logout URI must be https:// (http:// only for localhost, 127.0.0.1, [::1], unless BACKCHANNEL_LOGOUT_ALLOW_HTTP is true)';
}

/** A back-channel logout URI, checked against the deployment's rules. */
const backchannelLogoutUri = (rules: ClientRules) =>
  z.string().superRefine((s, ctx) => {
    const problem = backchannelLogoutUriProblem(s, rules);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const redirectUri = z.string().refine((s) => {
  try {
    const u = new URL(s);
    if (u.hash) return false;
    return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname));
  } catch {
    return false;
  }
}, 'redirect URIs must be absolute https:// URLs (http:// only for localhost) without a fragment');

/** What a client does decides what it must have: the checks shared by registering and changing one. */
function checkShape(
  c: { public: boolean; resourceServer: boolean; redirectUris: string[]; postLogoutRedirectUris: string[]; apiScopes: readonly string[]; backchannelLogoutUri?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  // Only a client that signs users in is part of sessions a logout could end.
  if (c.backchannelLogoutUri !== undefined && c.redirectUris.length === 0) ctx.addIssue({ code: 'custom', path: ['backchannelLogoutUri'], message: 'a back-channel logout URI needs a client that signs users in (a --redirect-uri)' });
  if (c.apiScopes.length > 0 && c.public) ctx.addIssue({ code: 'custom', path: ['apiScopes'], message: 'a client with API scopes authenticates with a secret: it cannot be --public' });
  if (c.resourceServer) {
    if (c.public) ctx.addIssue({ code: 'custom', path: ['public'], message: 'a resource server authenticates with a secret: it cannot be --public' });
    if (c.redirectUris.length > 0 || c.postLogoutRedirectUris.length > 0) ctx.addIssue({ code: 'custom', path: ['redirectUris'], message: 'a resource server signs nobody in: give it no --redirect-uri' });
  } else if (c.redirectUris.length === 0 && c.apiScopes.length === 0) {
    // A client with API scopes and no redirect URI is a machine: it only uses client credentials.
    ctx.addIssue({ code: 'custom', path: ['redirectUris'], message: 'give at least one --redirect-uri (or --api-scope for a machine client)' });
  }
}

/** A stored client's shape as `checkShape` sees it (unknown keys of the record are ignored). */
const clientShape = z
  .object({ public: z.boolean(), resourceServer: z.boolean(), redirectUris: z.array(z.string()), postLogoutRedirectUris: z.array(z.string()), apiScopes: z.array(z.string()), backchannelLogoutUri: z.string().optional() })
  .superRefine(checkShape);

const createClientInput = (rules: ClientRules) => z
  .object({
    tenant: tenantIdSchema,
    clientId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'client id must be 1-100 characters: letters, digits, . _ -'),
    redirectUris: z.array(redirectUri).default([]),
    postLogoutRedirectUris: z.array(redirectUri).default([]),
    public: z.boolean().default(false),
    firstParty: z.boolean().default(false),
    resourceServer: z.boolean().default(false),
    authMethod: z.enum(CLIENT_AUTH_METHODS, { error: `auth method must be ${CLIENT_AUTH_METHODS.join(' or ')}` }).default('client_secret_basic'),
    apiScopes: z.array(z.enum(API_SCOPE_VALUES, { error: `API scope must be one of ${API_SCOPE_VALUES.join(', ')}` })).default([]),
    idTokenAlg: z.enum(ID_TOKEN_ALGS, { error: `ID token algorithm must be ${ID_TOKEN_ALGS.join(' or ')}` }).default('RS256'),
    backchannelLogoutUri: backchannelLogoutUri(rules).optional(),
    backchannelLogoutSessionRequired: z.boolean().default(false),
  })
  .superRefine(checkShape)
  .refine((c) => !c.backchannelLogoutSessionRequired || c.backchannelLogoutUri !== undefined, { path: ['backchannelLogoutSessionRequired'], message: 'backchannel_logout_session_required needs a --backchannel-logout-uri' });

/** A client secret: 256 random bits. */
const newSecret = () => randomBytes(32).toString('base64url');

export interface ClientDeps {
  clients: ClientStore;
  tenants: TenantStore;
  secretBox: SecretBox;
  clock: Clock;
  /** The deployment's registration rules (config); absent: the defaults (no plain http beyond loopback). */
  clientRules?: ClientRules | undefined;
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
    apiScopes?: string[] | undefined;
    idTokenAlg?: string | undefined;
    backchannelLogoutUri?: string | undefined;
    backchannelLogoutSessionRequired?: boolean | undefined;
  },
): Promise<{ client: ClientRecord; clientSecret: string | null }> {
  const parsed = parseInput(createClientInput(deps.clientRules ?? DEFAULT_CLIENT_RULES), input, 'client');
  await requireTenant(deps.tenants, parsed.tenant);
  const clientSecret = parsed.public ? null : newSecret();
  const apiScopes = [...new Set(parsed.apiScopes)];
  const client: ClientRecord = {
    clientId: parsed.clientId,
    tenant: parsed.tenant,
    redirectUris: [...new Set(parsed.redirectUris)],
    postLogoutRedirectUris: [...new Set(parsed.postLogoutRedirectUris)],
    public: parsed.public,
    firstParty: parsed.firstParty,
    resourceServer: parsed.resourceServer,
    ...(parsed.public ? {} : { authMethod: parsed.authMethod }),
    ...(apiScopes.length > 0 ? { apiScopes } : {}),
    ...(parsed.idTokenAlg !== 'RS256' ? { idTokenAlg: parsed.idTokenAlg } : {}),
    ...(parsed.backchannelLogoutUri !== undefined ? { backchannelLogoutUri: parsed.backchannelLogoutUri, backchannelLogoutSessionRequired: parsed.backchannelLogoutSessionRequired } : {}),
    sealedSecret: clientSecret === null ? null : deps.secretBox.seal(clientSecret),
    createdAt: new Date(deps.clock.now()).toISOString(),
  };
  await deps.clients.create(client);
  return { client, clientSecret };
}

const updateClientInput = (rules: ClientRules) => z
  .object({
    tenant: tenantIdSchema,
    clientId: z.string().min(1).max(100),
    redirectUris: z.array(redirectUri).optional(),
    postLogoutRedirectUris: z.array(redirectUri).optional(),
    // null removes the URI (no more logout tokens for this client).
    backchannelLogoutUri: backchannelLogoutUri(rules).nullable().optional(),
    backchannelLogoutSessionRequired: z.boolean().optional(),
  })
  .refine((c) => c.redirectUris !== undefined || c.postLogoutRedirectUris !== undefined || c.backchannelLogoutUri !== undefined || c.backchannelLogoutSessionRequired !== undefined, {
    message: 'give redirectUris, postLogoutRedirectUris, backchannelLogoutUri or backchannelLogoutSessionRequired',
  });

/** Changes a client's redirect, post-logout redirect and back-channel logout URIs; what is not given stays. */
export async function updateClient(
  deps: Pick<ClientDeps, 'clients' | 'tenants' | 'clientRules'>,
  input: {
    tenant: string;
    clientId: string;
    redirectUris?: string[] | undefined;
    postLogoutRedirectUris?: string[] | undefined;
    backchannelLogoutUri?: string | null | undefined;
    backchannelLogoutSessionRequired?: boolean | undefined;
  },
): Promise<{ before: ClientRecord; after: ClientRecord }> {
  const parsed = parseInput(updateClientInput(deps.clientRules ?? DEFAULT_CLIENT_RULES), input, 'client change');
  await requireTenant(deps.tenants, parsed.tenant);
  let before: ClientRecord | undefined;
  const after = await deps.clients.update(parsed.tenant, parsed.clientId, (current) => {
    before = current;
    const { backchannelLogoutUri: _uri, backchannelLogoutSessionRequired: _required, ...rest } = current;
    const uri = parsed.backchannelLogoutUri === undefined ? current.backchannelLogoutUri : (parsed.backchannelLogoutUri ?? undefined);
    const required = parsed.backchannelLogoutSessionRequired ?? current.backchannelLogoutSessionRequired ?? false;
    if (uri === undefined && parsed.backchannelLogoutSessionRequired === true) {
      const issue = 'backchannelLogoutSessionRequired: needs a back-channel logout URI';
      throw new AppError('INPUT_ISSUES', undefined, { issues: [issue], params: { what: 'client change', issues: issue } });
    }
    const next: ClientRecord = {
      ...rest,
      redirectUris: parsed.redirectUris ? [...new Set(parsed.redirectUris)] : current.redirectUris,
      postLogoutRedirectUris: parsed.postLogoutRedirectUris ? [...new Set(parsed.postLogoutRedirectUris)] : current.postLogoutRedirectUris,
      ...(uri !== undefined ? { backchannelLogoutUri: uri, backchannelLogoutSessionRequired: required } : {}),
    };
    // The client keeps doing what it did: a sign-in client keeps a redirect URI, a resource server none.
    parseInput(clientShape, { ...next, resourceServer: next.resourceServer === true, apiScopes: next.apiScopes ?? [] }, 'client change');
    return next;
  });
  return { before: before!, after };
}

/**
 * Gives a confidential client a new secret, returned once and stored only sealed; the old one
 * stops working at once (tokens already issued stay valid until they expire).
 */
export async function rotateClientSecret(
  deps: Pick<ClientDeps, 'clients' | 'tenants' | 'secretBox'>,
  input: { tenant: string; clientId: string },
): Promise<{ before: ClientRecord; client: ClientRecord; clientSecret: string }> {
  await requireTenant(deps.tenants, input.tenant);
  const clientSecret = newSecret();
  let before: ClientRecord | undefined;
  const client = await deps.clients.update(input.tenant, input.clientId, (current) => {
    if (current.public) throw new AppError('CLIENT_PUBLIC_NO_SECRET', undefined, { params: { clientId: current.clientId } });
    before = current;
    return { ...current, sealedSecret: deps.secretBox.seal(clientSecret) };
  });
  return { before: before!, client, clientSecret };
}

/** The token endpoint auth method a client is registered for (public clients: none). */
export function clientAuthMethodOf(c: Pick<ClientRecord, 'public' | 'authMethod'>): ClientAuthMethod | 'none' {
  return c.public ? 'none' : (c.authMethod ?? 'client_secret_basic');
}

/** The OAuth grants a client may use: sign-in clients the code flow, clients with API scopes client credentials. */
export function grantTypesOf(c: Pick<ClientRecord, 'resourceServer' | 'redirectUris' | 'apiScopes'>): string[] {
  const signsIn = c.resourceServer !== true && c.redirectUris.length > 0;
  return [...(signsIn ? ['authorization_code', 'refresh_token'] : []), ...((c.apiScopes?.length ?? 0) > 0 ? ['client_credentials'] : [])];
}

/** How entries name a client acting for itself (client credentials): `client:reports`. */
export function clientAuditIdentity(tenant: string, clientId: string): { who: string; actor: Party } {
  return { who: `client:${clientId}`, actor: { type: 'client', id: clientId, name: clientId, tenant } };
}
