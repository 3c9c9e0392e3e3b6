import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { cliProcess } from '../support/cli.js';
import { untilInactive, usable } from './tokens.js';
import { oidcWorld, type OidcWorld } from './setup.js';




describe('when support access ends, every support session ends at once', () => {
  let world: OidcWorld;
  let acme: RelyingParty;
  let beta: RelyingParty;

  beforeAll(async () => {
    world = await oidcWorld('oidc-end');
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
    beta = await relyingParty(world.issuer('beta'), world.clients.beta!.id, world.clients.beta!.secret, world.clients.beta!.redirectUri);
  }, 30_000);
  afterAll(async () => world.stop());

  const supportTokens = async () => {
    const r = await signIn(acme, 'jill$john', 'jill-secret-pw');
    if (!r.ok) throw new Error(r.error);
    return r.tokens;
  };
  const sessionEnded = async () => {
    const { queryPage } = await import('../../src/audit/query.js');
    const d = world.gateway.domain;
    return (await queryPage({ audit: d.auditStore, tenants: d.tenants, users: d.users }, { tenant: 'acme', action: 'session.ended' }, 50)).entries;
  };

  it('a tenant admin closing support: within a second introspection is inactive, refresh invalid_grant, userinfo 401', async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'john' });
    const tokens = await supportTokens();
    const john = await signIn(acme, 'john', 'john-secret-pw');
    if (!john.ok) throw new Error(john.error);
    const before = (await sessionEnded()).length;
    await world.ops.closeSupport({ tenant: 'acme', username: 'admin' });
    expect(await untilInactive(acme, tokens)).toBeLessThan(1000);
    expect(await usable(acme, tokens)).toEqual({ active: false, refresh: 'invalid_grant', userinfo: '401' });
    // The first layer destroyed the session's grant and recorded it, under jill$john.
    for (let i = 0; i < 50 && (await sessionEnded()).length === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await sessionEnded())[0]).toMatchObject({ who: 'jill$john', cause: 'support-not-enabled', details: { trigger: 'support.window.reduced' } });
    // john's own session is untouched.
    expect((await client.tokenIntrospection(acme.config, john.tokens.access_token)).active).toBe(true);
  });

  it('also when support was closed by another process (the CLI)', async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'john' });
    const tokens = await supportTokens();
    const env = { PATH: process.env.PATH, NODE_ENV: 'test', REDIS_URL: world.config.redis.url, REDIS_PREFIX: world.config.redis.prefix, DATA_DIR: world.config.dataDir };
    const closed = await cliProcess(['support', 'disable', 'acme', '--as', 'admin'], env);
    expect(closed.code).toBe(0);
    expect(await untilInactive(acme, tokens)).toBeLessThan(1000);
    expect(await usable(acme, tokens)).toEqual({ active: false, refresh: 'invalid_grant', userinfo: '401' });
  }, 30_000);

  it('global access on lets jill$john in without a request; switched off, the session ends the same way', async () => {
    await world.ops.setSetting('support.globalAccess', 'true');
    const tokens = await supportTokens();
    expect((await client.tokenIntrospection(acme.config, tokens.access_token)).active).toBe(true);
    await world.ops.setSetting('support.globalAccess', 'false');
    expect(await untilInactive(acme, tokens)).toBeLessThan(1000);
    expect(await usable(acme, tokens)).toEqual({ active: false, refresh: 'invalid_grant', userinfo: '401' });
  });

  it('disabling the support user or the target ends the session too', async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'john' });
    let tokens = await supportTokens();
    await world.ops.setUser({ tenant: 'acme', username: 'john', enabled: false });
    expect(await untilInactive(acme, tokens)).toBeLessThan(1000);
    await world.ops.setUser({ tenant: 'acme', username: 'john', enabled: true });
    tokens = await supportTokens();
    await world.ops.setUser({ tenant: 'management', username: 'jill', scope: ['beta'] });
    expect(await untilInactive(acme, tokens)).toBeLessThan(1000);
    await world.ops.setUser({ tenant: 'management', username: 'jill', scope: ['acme', 'beta'] });
  });

  it("keeps tenants apart: beta's app gets no token for acme's user, and acme's tokens mean nothing to beta", async () => {
    expect(await signIn(beta, 'john', 'john-secret-pw')).toMatchObject({ ok: false, error: 'Invalid username or password' });
    const john = await signIn(acme, 'john', 'john-secret-pw');
    if (!john.ok) throw new Error(john.error);
    expect(await usable(beta, john.tokens)).toEqual({ active: false, refresh: 'invalid_grant', userinfo: '401' });
    expect((await client.tokenIntrospection(acme.config, john.tokens.access_token)).active).toBe(true);
  });
});

describe('refused support logins say no more than SPEC allows', () => {
  let world: OidcWorld;
  let acme: RelyingParty;
  let management: RelyingParty;

  beforeAll(async () => {
    world = await oidcWorld('oidc-refuse');
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
    const redirectUri = world.clients.acme!.redirectUri.replace('/acme/', '/management/');
    const { clientSecret } = await world.ops.createClient({ tenant: 'management', clientId: 'console', redirectUris: [redirectUri], firstParty: true });
    management = await relyingParty(world.issuer('management'), 'console', clientSecret!, redirectUri);
    await world.ops.openSupport({ tenant: 'acme', username: 'john' });
    await world.ops.createUser({ tenant: 'management', username: 'sam', password: 'sam-secret-pw', roles: ['support'], scope: ['beta'] });
    await world.ops.createUser({ tenant: 'management', username: 'off', password: 'off-secret-pw', roles: ['support'], scope: ['*'] });
    await world.ops.setUser({ tenant: 'management', username: 'off', enabled: false });
  }, 30_000);
  afterAll(async () => world.stop());

  it.each([
    ['a support user whose scope lacks the tenant', 'sam$john', 'sam-secret-pw', 'not permitted for this tenant'],
    ['a disabled support user', 'off$john', 'off-secret-pw', 'Invalid username or password'],
    ['a wrong support password', 'jill$john', 'not-her-password', 'Invalid username or password'],
    ['a platform admin acting as support', 'pat$john', 'pat-secret-pw', 'Invalid username or password'],
    ['an unknown target', 'jill$ghost', 'jill-secret-pw', 'no such user in this tenant'],
    ['$john', '$john', 'jill-secret-pw', 'Invalid username or password'],
    ['$', '$', 'jill-secret-pw', 'Invalid username or password'],
    ['a$b$c', 'a$b$c', 'jill-secret-pw', 'Invalid username or password'],
  ])('refuses %s', async (_label, username, password, message) => {
    expect(await signIn(acme, username, password)).toMatchObject({ ok: false, status: 401, error: message });
  });

  it('never lands on the management tenant or its platform and support users', async () => {
    await world.ops.setSetting('support.globalAccess', 'true');
    expect(await signIn(management, 'jill$pat', 'jill-secret-pw')).toMatchObject({ ok: false, error: 'not permitted for this tenant' });
    expect(await signIn(management, 'jill$', 'jill-secret-pw')).toMatchObject({ ok: false, error: 'not permitted for this tenant' });
    await world.ops.setSetting('support.globalAccess', 'false');
    // Ordinary logins to management (platform staff) still work.
    expect((await signIn(management, 'pat', 'pat-secret-pw')).ok).toBe(true);
  });

  it('answers an unknown tenant with a clear 404: a page on a sign-in path, an OAuth error on an endpoint programs call (whatever they accept, issue 16)', async () => {
    const page = await fetch(`${world.url}/t/nope/auth?client_id=app`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('There is no active tenant &quot;nope&quot; here');
    const api = await fetch(`${world.url}/t/nope/.well-known/openid-configuration`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ error: 'invalid_request', error_description: 'There is no active tenant "nope" here. Check the address or the Tenant ID.' });
  });
});
