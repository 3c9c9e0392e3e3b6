import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { relyingParty, signIn } from '../../bench/oidc-client.js';
import type { AuditEntry } from '../../src/audit/entry.js';
import { apiWorld, type ApiWorld } from './world.js';

const discover = (w: ApiWorld, tenant: string, id: string, secret: string) =>
  client.discovery(new URL(w.issuer(tenant)), id, secret, client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });

describe('API clients (client credentials): reads only, with the scopes they were registered for', () => {
  let w: ApiWorld;
  let reports: string;

  beforeAll(async () => {
    w = await apiWorld('api-clients');
    reports = await w.clientToken('acme', w.reports.id, w.reports.secret, 'audit:read');
  }, 60_000);
  afterAll(async () => w.stop());

  it('issuing the token is recorded under the client (token.issued, client:reports)', async () => {
    const [issued] = await w.entries({ tenant: 'acme', action: 'token.issued', who: 'client:reports' });
    expect(issued).toMatchObject({ who: 'client:reports', actor: { type: 'client', id: 'reports', tenant: 'acme' }, clientId: 'reports', channel: 'api', outcome: 'success', details: { scope: 'audit:read', grant: 'client_credentials' } });
    const me = await w.api(reports, 'GET', '/acme/me');
    expect(me.body).toMatchObject({ kind: 'client', who: 'client:reports', username: null, scopes: ['audit:read'], clientId: 'reports' });
  });

  it('a client with only audit:read queries, exports and verifies the audit log of its tenant', async () => {
    const page = await w.api(reports, 'GET', '/acme/audit?action=user.created');
    expect(page.status).toBe(200);
    expect((page.body as unknown as { entries: AuditEntry[] }).entries.map((e) => e.subject?.name)).toEqual(expect.arrayContaining(['john', 'admin']));
    expect((await w.entries({ tenant: 'acme', action: 'audit.queried' }))[0]).toMatchObject({ who: 'client:reports', actor: { type: 'client', id: 'reports' }, channel: 'api', clientId: 'reports' });
    const csv = await w.api(reports, 'GET', '/acme/audit/export?format=csv');
    expect([csv.status, csv.res.headers.get('content-disposition')]).toEqual([200, expect.stringMatching(/^attachment; filename="?audit-acme\.csv"?$/)]);
    expect(String(csv.body.text)).toMatch(/^id,seq,time,tenant,who,action,/);
    expect((await w.entries({ tenant: 'acme', action: 'audit.exported' }))[0]).toMatchObject({ who: 'client:reports', channel: 'api', details: { format: 'csv' } });
    expect((await w.api(reports, 'POST', '/acme/audit/verify')).status).toBe(200);
    // Another tenant's log is not its own.
    expect((await w.api(reports, 'GET', '/acme/audit?tenant=beta')).status).toBe(403);
  });

  it('it cannot open a support request (403, recorded) nor list the users (403, recorded as access.denied)', async () => {
    const opened = await w.api(reports, 'POST', '/acme/support/requests', { hours: 1 });
    expect([opened.status, opened.body.error]).toEqual([403, 'forbidden']);
    expect((await w.entries({ tenant: 'acme', action: 'support.request.opened' }))[0]).toMatchObject({ who: 'client:reports', outcome: 'failure', channel: 'api', cause: expect.stringMatching(/^forbidden: /) });
    const users = await w.api(reports, 'GET', '/acme/users');
    expect([users.status, users.body.message]).toEqual([403, "the client's scopes do not include this action"]);
    expect((await w.entries({ tenant: 'acme', action: 'access.denied' }))[0]).toMatchObject({ who: 'client:reports', channel: 'api', details: { permission: 'user.list' } });
  });

  it('a scope the client was not registered for is refused at the token endpoint; a client without API scopes gets no client credentials', async () => {
    const granted = await client.clientCredentialsGrant(await discover(w, 'acme', w.reports.id, w.reports.secret), { scope: 'audit:read' });
    expect([granted.token_type, granted.scope, granted.expires_in]).toEqual(['bearer', 'audit:read', 600]);
    await expect(discover(w, 'acme', w.reports.id, w.reports.secret).then((c) => client.clientCredentialsGrant(c, { scope: 'audit:read users:read' }))).rejects.toMatchObject({ error: 'invalid_scope' });
    const app = w.clients.acme!;
    await expect(discover(w, 'acme', app.id, app.secret).then((c) => client.clientCredentialsGrant(c, { scope: 'audit:read' }))).rejects.toMatchObject({ error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' });
  });

  it('support:write on a client is honoured for its users\' tokens only: a support request is a person\'s consent', async () => {
    const redirectUri = `http://localhost:${w.config.port + 1}/ticketing/callback`;
    const { clientSecret } = await w.ops.createClient({ tenant: 'acme', clientId: 'ticketing', redirectUris: [redirectUri], firstParty: true, apiScopes: ['support:read', 'support:write'] });
    const own = await w.clientToken('acme', 'ticketing', clientSecret!, 'support:read support:write');
    const refused = await w.api(own, 'POST', '/acme/support/requests', { reason: 'TICKET-7' });
    expect([refused.status, refused.body.message]).toEqual([403, 'an API client cannot be granted this action']);
    const rp = await relyingParty(w.issuer('acme'), 'ticketing', clientSecret!, redirectUri);
    const john = await signIn(rp, 'john', 'john-secret-pw', { scope: 'openid support:write' });
    if (!john.ok) throw new Error(john.error);
    const opened = await w.api(john.tokens.access_token, 'POST', '/acme/support/requests', { reason: 'TICKET-7' });
    expect(opened.status).toBe(201);
    expect((await w.entries({ tenant: 'acme', action: 'support.request.opened' }))[0]).toMatchObject({ who: 'john', outcome: 'success', clientId: 'ticketing', details: { reason: 'TICKET-7' } });
    // Through this client a user's token carries no API scope it was not registered for.
    await expect(signIn(rp, 'john', 'john-secret-pw', { scope: 'openid users:read' })).rejects.toMatchObject({ error: 'invalid_scope', error_description: 'requested scope is not allowed' });
  });

  it("introspection answers for the client's own token and for a resource server, not for another client", async () => {
    const own = await discover(w, 'acme', w.reports.id, w.reports.secret);
    expect(await client.tokenIntrospection(own, reports)).toMatchObject({ active: true, client_id: 'reports', scope: 'audit:read' });
    const rs = await w.ops.createClient({ tenant: 'acme', clientId: 'audit-api', resourceServer: true, redirectUris: [] });
    expect(await client.tokenIntrospection(await discover(w, 'acme', 'audit-api', rs.clientSecret!), reports)).toMatchObject({ active: true, client_id: 'reports' });
    const app = w.clients.acme!;
    expect((await client.tokenIntrospection(await discover(w, 'acme', app.id, app.secret), reports)).active).toBe(false);
  });

  it('after its secret is rotated the old secret gets no token, the new one does', async () => {
    const admin = await w.userToken('acme', 'admin');
    const rotated = await w.api(admin, 'POST', '/acme/clients/reports/secret');
    expect(rotated.status).toBe(200);
    const fresh = (rotated.body as { clientSecret: string }).clientSecret;
    await expect(w.clientToken('acme', 'reports', w.reports.secret, 'audit:read')).rejects.toMatchObject({ status: 401, cause: [{ parameters: { error: 'invalid_client' } }] });
    const token = await w.clientToken('acme', 'reports', fresh, 'audit:read');
    expect((await w.api(token, 'GET', '/acme/audit?limit=1')).status).toBe(200);
    // A public client has no secret to rotate.
    await w.ops.createClient({ tenant: 'acme', clientId: 'spa', public: true, redirectUris: ['https://spa.example.com/cb'] });
    const spa = await w.api(admin, 'POST', '/acme/clients/spa/secret');
    expect([spa.status, spa.body.message]).toEqual([400, 'client "spa" is public: it has no secret to rotate']);
    expect((await w.entries({ tenant: 'acme', action: 'client.secret.rotated' }))[0]).toMatchObject({ who: 'admin', outcome: 'failure', subject: { name: 'spa' } });
  });
});
