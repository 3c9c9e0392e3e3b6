import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { relyingParty, signIn } from '../../bench/oidc-client.js';
import { apiWorld, type ApiWorld } from './world.js';

describe('who may call the JSON API: 401 without a token of the tenant, 403 when the policy refuses, 400 for a bad request', () => {
  let w: ApiWorld;
  let john: string;
  let admin: string;
  let bea: string;
  let pat: string;

  beforeAll(async () => {
    w = await apiWorld('api-access');
    [john, admin, bea, pat] = await Promise.all([w.userToken('acme', 'john'), w.userToken('acme', 'admin'), w.userToken('beta', 'bea'), w.userToken('management', 'pat')]);
  }, 60_000);
  afterAll(async () => w.stop());

  const challenge = (r: { res: Response }) => r.res.headers.get('www-authenticate');

  it('no token: 401 with the bare Bearer challenge, in JSON, never cached', async () => {
    const r = await w.api(null, 'GET', '/acme/me');
    expect([r.status, r.body.error, challenge(r)]).toEqual([401, 'invalid_token', 'Bearer realm="supportgate"']);
    expect(r.res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.res.headers.get('cache-control')).toBe('no-store');
    // A browser asking for HTML still gets JSON here.
    const html = await fetch(`${w.url}/api/v1/acme/me`, { headers: { accept: 'text/html' } });
    expect(html.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('an unknown token, or one of another tenant, or of a tenant that does not exist: 401 invalid_token', async () => {
    for (const [token, path] of [
      ['not-a-token', '/acme/me'],
      [bea, '/acme/me'],
      [john, '/beta/me'],
      [john, '/nope/me'],
    ] as const) {
      const r = await w.api(token, 'GET', path);
      expect([path, r.status, r.body.error, challenge(r)]).toEqual([path, 401, 'invalid_token', 'Bearer realm="supportgate", error="invalid_token"']);
    }
  });

  it("a management token on an acme route is not acme's token (401); a tenant admin asking for the tenants is refused (403, recorded)", async () => {
    expect((await w.api(pat, 'GET', '/acme/users')).status).toBe(401);
    expect((await w.api(pat, 'POST', '/acme/support/requests', {})).status).toBe(401);
    const r = await w.api(admin, 'GET', '/acme/tenants');
    expect([r.status, r.body.error, r.body.message]).toEqual([403, 'forbidden', 'this needs a platform administrator']);
    const [denied] = await w.entries({ tenant: 'management', action: 'access.denied' });
    expect(denied).toMatchObject({ who: 'admin', channel: 'api', outcome: 'failure', details: { permission: 'tenant.list' }, requestId: r.res.headers.get('x-request-id') });
  });

  it('a refresh token, a revoked access token, a token whose user was disabled: 401', async () => {
    const c = w.clients.acme!;
    const rp = await relyingParty(w.issuer('acme'), c.id, c.secret, c.redirectUri);
    const signed = await signIn(rp, 'john', 'john-secret-pw', { scope: 'openid offline_access support:read' });
    if (!signed.ok) throw new Error(signed.error);
    expect((await w.api(signed.tokens.access_token, 'GET', '/acme/support')).status).toBe(200);
    expect((await w.api(signed.tokens.refresh_token!, 'GET', '/acme/support')).status).toBe(401);
    await client.tokenRevocation(rp.config, signed.tokens.access_token);
    expect((await w.api(signed.tokens.access_token, 'GET', '/acme/support')).status).toBe(401);

    const mary = await w.ops.createUser({ tenant: 'acme', username: 'mary', password: 'mary-secret-pw' });
    const token = await w.userToken('acme', 'mary');
    expect((await w.api(token, 'GET', '/acme/me')).status).toBe(200);
    await w.ops.setUser({ tenant: 'acme', username: mary.username, enabled: false });
    expect((await w.api(token, 'GET', '/acme/me')).status).toBe(401);
  });

  it('a token of a suspended tenant: 401', async () => {
    await w.ops.suspendTenant('beta');
    try {
      expect((await w.api(bea, 'GET', '/beta/me')).status).toBe(401);
    } finally {
      await w.ops.resumeTenant('beta');
    }
  });

  it('a user token without support:write cannot enable support (403, recorded); with it, it can', async () => {
    const readOnly = await w.userToken('acme', 'john', 'support:read');
    expect((await w.api(readOnly, 'GET', '/acme/support')).status).toBe(200);
    const r = await w.api(readOnly, 'POST', '/acme/support/requests', { hours: 1 });
    expect([r.status, r.body.error, r.body.message]).toEqual([403, 'forbidden', "the access token's scopes do not include this action"]);
    const [refused] = await w.entries({ tenant: 'acme', action: 'support.request.opened' });
    expect(refused).toMatchObject({ who: 'john', channel: 'api', outcome: 'failure', cause: expect.stringMatching(/^forbidden: the access token's scopes/), requestId: r.res.headers.get('x-request-id') });
    expect((await w.api(john, 'POST', '/acme/support/requests', { hours: 1 })).status).toBe(201);
    // ...and without users:read a tenant admin's token lists no users (a refused read is recorded).
    const supportOnly = await w.userToken('acme', 'admin', 'support:read');
    const list = await w.api(supportOnly, 'GET', '/acme/users');
    expect(list.status).toBe(403);
    expect((await w.entries({ tenant: 'acme', action: 'access.denied' }))[0]).toMatchObject({ who: 'admin', channel: 'api', details: { permission: 'user.list' } });
  });

  it("the holder's roles still decide: a user's token with every scope manages no users", async () => {
    const r = await w.api(john, 'GET', '/acme/users');
    expect([r.status, r.body.message]).toEqual([403, 'this needs an administrator role']);
  });

  it('a bad body or query is a 400 that names the field; unknown fields are refused; a body must be JSON', async () => {
    let r = await w.api(john, 'POST', '/acme/support/requests', { hours: 'two' });
    expect([r.status, r.body.error]).toEqual([400, 'invalid_input']);
    expect(r.body.message).toMatch(/^invalid body: hours: /);
    r = await w.api(john, 'POST', '/acme/support/requests', { hourz: 2 });
    expect([r.status, r.body.message]).toEqual([400, 'invalid body: Unrecognized key: "hourz"']);
    r = await w.api(admin, 'POST', '/acme/users', { username: 'x', password: 'short' });
    expect([r.status, r.body.message]).toEqual([400, 'invalid user: password: password must have at least 8 characters']);
    r = await w.api(admin, 'PATCH', '/acme/users/john', {});
    expect([r.status, r.body.message]).toEqual([400, 'invalid body: give enabled, roles or scope']);
    r = await w.api(john, 'GET', '/acme/audit?outcome=maybe');
    expect([r.status, r.body.message]).toEqual([400, 'invalid query: outcome: must be success or failure']);
    r = await w.api(john, 'GET', '/acme/audit?colour=blue');
    expect([r.status, r.body.message]).toEqual([400, 'invalid query: Unrecognized key: "colour"']);

    const form = await fetch(`${w.url}/api/v1/acme/support/requests`, { method: 'POST', headers: { authorization: `Bearer ${john}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'hours=2' });
    expect([form.status, ((await form.json()) as { error: string }).error]).toEqual([415, 'json_expected']);
    const broken = await fetch(`${w.url}/api/v1/acme/support/requests`, { method: 'POST', headers: { authorization: `Bearer ${john}`, 'content-type': 'application/json' }, body: '{"hours":' });
    expect([broken.status, ((await broken.json()) as { error: string }).error]).toEqual([400, 'invalid_input']);
  });

  it('an unknown path under the API is a JSON 404', async () => {
    const r = await w.api(john, 'GET', '/acme/nothing-here');
    expect([r.status, r.body.error]).toEqual([404, 'not_found']);
  });
});
