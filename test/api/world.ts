import * as client from 'openid-client';
import { relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import type { AuditEntry } from '../../src/audit/entry.js';
import { queryPage, type AuditFilter } from '../../src/audit/query.js';
import type { Clock } from '../../src/clock.js';
import { oidcWorld, type OidcWorld } from '../oidc/setup.js';

/** Every API scope: a token that the user's roles alone limit. */
export const ALL_SCOPES = 'audit:read support:read support:write users:read users:write clients:read clients:write tenants:read tenants:write settings:write';

export interface ApiWorld extends OidcWorld {
  /** A person's access token, by the code flow through the tenant's login page, with `scope` (API scopes) asked for. */
  userToken(tenant: string, username: string, scope?: string): Promise<string>;
  /** A client's own token (client_credentials). */
  clientToken(tenant: string, clientId: string, secret: string, scope: string): Promise<string>;
  /** Calls /api/v1 with the bearer token; a body is sent as JSON. */
  api(token: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> & { error?: string; message?: string }; res: Response }>;
  /** The newest entries of a tenant's log matching `filter`. */
  entries(filter: AuditFilter, limit?: number): Promise<AuditEntry[]>;
  /** The machine client `reports` of acme: only `audit:read`. */
  reports: { id: string; secret: string };
}

/**
 * The OIDC world (acme, beta; john, admin, bea, jill, pat) plus what the API tests need: an acme
 * auditor (audrey), a platform auditor (max), a management app for pat and max, and the machine
 * client `reports` of acme registered with the single API scope audit:read.
 */
export async function apiWorld(name: string, clock?: Clock): Promise<ApiWorld> {
  const world = await oidcWorld(name, {}, clock);
  const { ops } = world;
  await ops.createUser({ tenant: 'acme', username: 'audrey', password: 'audrey-secret-pw', roles: ['auditor'] });
  await ops.createUser({ tenant: 'management', username: 'max', password: 'max-secret-pw', roles: ['auditor'] });
  const redirectUri = `http://localhost:${world.config.port + 1}/management/callback`;
  const mgmt = await ops.createClient({ tenant: 'management', clientId: 'management-app', redirectUris: [redirectUri], firstParty: true });
  world.clients.management = { id: 'management-app', secret: mgmt.clientSecret!, redirectUri };
  const reports = await ops.createClient({ tenant: 'acme', clientId: 'reports', apiScopes: ['audit:read'], redirectUris: [] });

  const rps = new Map<string, RelyingParty>();
  const rpOf = async (tenant: string) => {
    const c = world.clients[tenant]!;
    if (!rps.has(tenant)) rps.set(tenant, await relyingParty(world.issuer(tenant), c.id, c.secret, c.redirectUri));
    return rps.get(tenant)!;
  };
  return {
    ...world,
    reports: { id: 'reports', secret: reports.clientSecret! },
    async userToken(tenant, username, scope = ALL_SCOPES) {
      const password = `${username.split('$')[0]}-secret-pw`;
      const r = await signIn(await rpOf(tenant), username, password, { scope: `openid profile ${scope}`.trim() });
      if (!r.ok) throw new Error(`${username}: ${r.error}`);
      return r.tokens.access_token;
    },
    async clientToken(tenant, clientId, secret, scope) {
      const config = await client.discovery(new URL(world.issuer(tenant)), clientId, secret, client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });
      return (await client.clientCredentialsGrant(config, { scope })).access_token;
    },
    async api(token, method, path, body) {
      const headers: Record<string, string> = {};
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${world.url}/api/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.clone().text();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        parsed = { text };
      }
      return { status: res.status, body: parsed, res };
    },
    async entries(filter, limit = 50) {
      const d = world.gateway.domain;
      return (await queryPage({ audit: d.auditStore, tenants: d.tenants, users: d.users }, filter, limit)).entries;
    },
  };
}
