/**
 * Schemas several resources share: the caller's tenant in every path, and the answers (which
 * document what `run` returns; route() checks the handlers' return types against them).
 */
import { z } from 'zod';
import { AUDIT_ACTIONS, CHANNELS } from '../../audit/entry.js';
import { API_SCOPE_VALUES, CLIENT_AUTH_METHODS, ID_TOKEN_ALGS } from '../../clients/clients.js';
import { ROLES } from '../../users/users.js';

/** The tenant whose issuer issued the bearer token; a token of any other tenant is refused (401). */
export const tenantParam = z.string().meta({ description: "The caller's tenant: the one whose issuer issued the bearer token", example: 'acme' });

export const tenantPath = z.object({ tenant: tenantParam });

export const errorAnswer = z
  .object({
    error: z.string().meta({ description: 'The wire code, e.g. invalid_token, forbidden, invalid_input, not_found' }),
    message: z.string(),
    issues: z.array(z.string()).optional(),
    requestId: z.string().optional(),
  })
  .meta({ id: 'Error' });

const epochMs = z.number().int().meta({ description: 'Epoch milliseconds' });
const requestParty = z.object({ id: z.string(), username: z.string() });

export const publicUser = z
  .object({
    id: z.string().meta({ description: 'Stable opaque id (the OIDC sub)' }),
    tenant: z.string(),
    username: z.string(),
    roles: z.array(z.enum(ROLES)),
    enabled: z.boolean(),
    scope: z.array(z.string()).meta({ description: 'Support users only: the tenants they may enter, or ["*"]' }),
    passwordChangedAt: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'User' });

export const publicClient = z
  .object({
    clientId: z.string(),
    tenant: z.string(),
    redirectUris: z.array(z.string()),
    postLogoutRedirectUris: z.array(z.string()),
    public: z.boolean(),
    firstParty: z.boolean(),
    resourceServer: z.boolean().optional(),
    authMethod: z.enum(CLIENT_AUTH_METHODS).optional(),
    apiScopes: z.array(z.enum(API_SCOPE_VALUES)).optional(),
    idTokenAlg: z.enum(ID_TOKEN_ALGS).optional(),
    backchannelLogoutUri: z.string().optional(),
    backchannelLogoutSessionRequired: z.boolean().optional(),
    createdAt: z.string(),
  })
  .meta({ id: 'Client' });

/** A client with the secret it was just given: shown once, never again. */
export const clientWithSecret = z
  .object({ client: publicClient, clientSecret: z.string().nullable().meta({ description: 'Shown once (null for a public client); store it now' }) })
  .meta({ id: 'ClientWithSecret' });

export const tenantAnswer = z
  .object({
    id: z.string(),
    name: z.string(),
    domains: z.array(z.string()),
    status: z.enum(['active', 'suspended']),
    createdAt: z.string(),
    suspendedAt: z.string().optional(),
    resumedAt: z.string().optional(),
    cookieDomain: z.string().nullable().meta({ description: 'The parent domain the forward-auth cookie is set for (one sign-in serves every app under it); null: a cookie per app host' }),
    signingKeys: z.enum(['own', 'platform']).meta({ description: "Whose keys the tenant's issuer signs with (keys rotate: supportgate keys rotate)" }),
  })
  .meta({ id: 'Tenant' });

export const tenantStatusChange = z
  .object({ tenant: tenantAnswer, before: z.enum(['active', 'suspended']), changed: z.boolean() })
  .meta({ id: 'TenantStatusChange' });

const supportRequest = z.object({
  id: z.string(),
  openedBy: requestParty,
  openedAt: epochMs,
  hours: z.number().int(),
  reason: z.string().nullable(),
  closedAt: epochMs.nullable(),
  closedBy: requestParty.nullable(),
});

const supportWindow = z.object({ version: z.number().int(), end: epochMs.nullable(), requests: z.array(supportRequest) });

const supportMode = z.enum(['full', 'read-only']);

export const supportStatusAnswer = z
  .object({
    tenant: z.string(),
    access: z.object({ enabled: z.boolean(), until: epochMs.nullable(), via: z.enum(['global', 'requests']).nullable() }),
    globalAccess: z.object({ on: z.boolean(), until: epochMs.nullable() }),
    window: z.object({ open: z.boolean(), endsAt: epochMs.nullable() }),
    activeRequests: z.number().int(),
    requests: z.array(supportRequest.extend({ state: z.enum(['active', 'expired', 'closed']), endsAt: epochMs.nullable() })),
    mode: z.object({ effective: supportMode, global: supportMode, tenant: supportMode.nullable() }),
    lastLogins: z.array(z.object({ at: epochMs, who: z.string(), supportUser: z.string(), user: z.string() })).meta({ description: 'The newest support logins, newest first' }),
  })
  .meta({ id: 'SupportStatus' });

export const supportOpened = z.object({ request: supportRequest, window: supportWindow }).meta({ id: 'SupportRequestOpened' });
export const supportClosed = z.object({ closed: z.array(supportRequest), window: supportWindow }).meta({ id: 'SupportRequestsClosed' });

const settingValue = z.union([z.boolean(), z.string(), z.number()]);

export const settingsAnswer = z
  .object({
    global: z.object({
      'support.globalAccess': z.union([z.boolean(), z.string()]).meta({ description: 'false, true, or an ISO date-time until which it is on' }),
      'support.requestHours': z.number().int(),
      'support.maxRequestHours': z.number().int(),
      'support.mode': supportMode,
    }),
    mode: z.object({ effective: supportMode, global: supportMode, tenant: supportMode.nullable() }).nullable().meta({ description: "A customer tenant's support mode (null for management)" }),
  })
  .meta({ id: 'Settings' });

export const settingChange = z
  .object({ key: z.string(), before: settingValue, after: settingValue, tenant: z.string().optional() })
  .meta({ id: 'SettingChange' });

const party = z.object({ type: z.enum(['user', 'tenant', 'client', 'setting', 'audit', 'service']), id: z.string().nullable(), name: z.string().nullable(), tenant: z.string().nullable() }).nullable();

export const auditEntry = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    prev: z.string(),
    time: z.string(),
    tenant: z.string(),
    who: z.string().meta({ description: 'jill$john for a support session, john otherwise, client:<id> for a client, cli:<user> for the CLI' }),
    actor: party,
    subject: party,
    action: z.enum(AUDIT_ACTIONS),
    outcome: z.enum(['success', 'failure']),
    cause: z.string().nullable(),
    clientAddress: z.string().nullable(),
    userAgent: z.string().nullable(),
    clientId: z.string().nullable(),
    requestId: z.string().nullable(),
    channel: z.enum(CHANNELS),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())])),
    hash: z.string(),
  })
  .meta({ id: 'AuditEntry' });

export const auditPage = z
  .object({ entries: z.array(auditEntry), nextCursor: z.string().nullable().meta({ description: 'Pass as ?cursor= for the next page; null at the end' }) })
  .meta({ id: 'AuditPage' });

export const verifyAnswer = z
  .array(
    z.looseObject({
      tenant: z.string(),
      ok: z.boolean(),
      entries: z.number().int(),
    }),
  )
  .meta({ id: 'AuditVerification', description: "Each tenant's chain: ok, or the first broken position and why" });
