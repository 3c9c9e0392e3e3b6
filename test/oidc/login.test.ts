import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { oidcWorld, type OidcWorld } from './setup.js';

describe('tenant login through the code + PKCE flow', () => {
  let world: OidcWorld;
  let acme: RelyingParty;

  beforeAll(async () => {
    world = await oidcWorld('oidc-login');
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
  }, 30_000);
  afterAll(async () => world.stop());

  it('john signs in; the ID token verifies against the JWKS and carries no act', async () => {
    const result = await signIn(acme, 'john', 'john-secret-pw');
    if (!result.ok) throw new Error(result.error);
    const claims = result.tokens.claims()!;
    expect(claims).toMatchObject({ iss: world.issuer('acme'), tenant: 'acme', preferred_username: 'john', amr: ['pwd'] });
    expect(claims).not.toHaveProperty('act');
    const john = await world.gateway.domain.users.findByUsername('acme', 'john');
    expect(claims.sub).toBe(john!.id);
    const userinfo = await client.fetchUserInfo(acme.config, result.tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({ sub: john!.id, preferred_username: 'john', tenant: 'acme' });
    expect(result.tokens.refresh_token).toBeDefined();
  });

  it('refuses a login form posted without its CSRF token', async () => {
    const { Browser } = await import('../../bench/oidc-client.js');
    const browser = new Browser();
    const url = client.buildAuthorizationUrl(acme.config, { redirect_uri: acme.redirectUri, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    const { url: pageUrl, res } = await browser.follow(url.toString(), acme.redirectUri);
    const action = new URL(/<form method="post" action="([^"]+)"/.exec(await res.text())![1]!, pageUrl).toString();
    const posted = await browser.request(action, { method: 'POST', body: new URLSearchParams({ csrf: 'forged', tenant: 'acme', username: 'john', password: 'john-secret-pw' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(posted.status).toBe(403);
    expect(await posted.text()).toContain('This sign-in form is no longer valid');
  });
});

describe('support logins', () => {
  let world: OidcWorld;
  let acme: RelyingParty;
  const johnId = async () => (await world.gateway.domain.users.findByUsername('acme', 'john'))!.id;
  const jillId = async () => (await world.gateway.domain.users.findByUsername('management', 'jill'))!.id;
  const entries = async (filter: Record<string, string>) => {
    const { queryPage } = await import('../../src/audit/query.js');
    const d = world.gateway.domain;
    return (await queryPage({ audit: d.auditStore, tenants: d.tenants, users: d.users }, filter, 20)).entries;
  };

  beforeAll(async () => {
    world = await oidcWorld('oidc-support');
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
  }, 30_000);
  afterAll(async () => world.stop());

  it('refuses jill$john while acme allows no support, naming the cause, audited as jill$john', async () => {
    const result = await signIn(acme, 'jill$john', 'jill-secret-pw');
    expect(result).toMatchObject({ ok: false, status: 401, error: 'support access is not enabled for this tenant' });
    const [failed] = await entries({ tenant: 'acme', action: 'login.failed' });
    expect(failed).toMatchObject({ who: 'jill$john', outcome: 'failure', cause: 'support-not-enabled', channel: 'login' });
  });

  it('after john opens a request, jill$john gets tokens for john with act = jill, ending with the window', async () => {
    const { window } = await world.ops.openSupport({ tenant: 'acme', username: 'john', hours: 2 });
    const result = await signIn(acme, 'jill$john', 'jill-secret-pw');
    if (!result.ok) throw new Error(result.error);
    const claims = result.tokens.claims()!;
    expect(claims.sub).toBe(await johnId());
    expect(claims.act).toEqual({ sub: await jillId(), preferred_username: 'jill', tenant: 'management' });
    expect(claims.amr).toContain('pwd');
    expect(claims.exp * 1000).toBeLessThanOrEqual(window.end!);
    const introspection = await client.tokenIntrospection(acme.config, result.tokens.access_token);
    expect(introspection).toMatchObject({ active: true, sub: await johnId(), tenant: 'acme', act: { sub: await jillId(), preferred_username: 'jill', tenant: 'management' } });
    expect((introspection.exp as number) * 1000).toBeLessThanOrEqual(window.end!);
    const userinfo = await client.fetchUserInfo(acme.config, result.tokens.access_token, claims.sub);
    expect(userinfo.act).toMatchObject({ preferred_username: 'jill' });
    const [ok] = await entries({ tenant: 'acme', action: 'login.succeeded' });
    expect(ok).toMatchObject({ who: 'jill$john', actor: { name: 'jill', tenant: 'management' }, subject: { name: 'john', tenant: 'acme' } });
    const [issued] = await entries({ tenant: 'acme', action: 'token.issued' });
    expect(issued).toMatchObject({ who: 'jill$john' });
    const { supportStatus } = await import('../../src/support-access/support.js');
    expect((await supportStatus(world.gateway.domain, 'acme')).lastLogins[0]).toMatchObject({ who: 'jill$john', supportUser: 'jill', user: 'john' });
  });

  it('caps every token of a support session at a window ending sooner than the default lifetimes', async () => {
    // Let the open window end in 10 minutes: shorter than the 1 h access and ID tokens.
    const end = Date.now() + 10 * 60_000;
    await world.gateway.domain.windows.update('acme', (w) => ({ ...w, version: w.version + 1, end, requests: w.requests.map((r) => ({ ...r, openedAt: end - r.hours * 3_600_000 })) }));
    const result = await signIn(acme, 'jill$john', 'jill-secret-pw');
    if (!result.ok) throw new Error(result.error);
    expect(result.tokens.claims()!.exp * 1000).toBeLessThanOrEqual(end);
    expect(result.tokens.expires_in!).toBeLessThanOrEqual(600);
    const introspection = await client.tokenIntrospection(acme.config, result.tokens.access_token);
    expect((introspection.exp as number) * 1000).toBeLessThanOrEqual(end);
    const refreshed = await client.refreshTokenGrant(acme.config, result.tokens.refresh_token!);
    expect(refreshed.claims()!.exp * 1000).toBeLessThanOrEqual(end);
    expect(refreshed.claims()!.act).toMatchObject({ preferred_username: 'jill' });
    const [entry] = await entries({ tenant: 'acme', action: 'token.refreshed' });
    expect(entry).toMatchObject({ who: 'jill$john', outcome: 'success' });
    await world.ops.openSupport({ tenant: 'acme', username: 'john', hours: 2 });
  });

  it('lands jill$ on the oldest enabled tenant admin', async () => {
    const result = await signIn(acme, 'jill$', 'jill-secret-pw');
    if (!result.ok) throw new Error(result.error);
    expect(result.tokens.claims()).toMatchObject({ preferred_username: 'admin', act: { preferred_username: 'jill' } });
  });

  it('accepts the tenant in the username (acme/jill$john) but never another tenant than the app’s', async () => {
    const inName = await signIn(acme, 'acme/jill$john', 'jill-secret-pw');
    expect(inName.ok).toBe(true);
    expect(await signIn(acme, 'beta/jill$bea', 'jill-secret-pw')).toMatchObject({ ok: false, error: 'Invalid username or password' });
    expect(await signIn(acme, 'john', 'john-secret-pw', { tenantField: 'beta' })).toMatchObject({ ok: false, error: 'Invalid username or password' });
  });
});

describe('third-party apps ask for consent', () => {
  let world: OidcWorld;
  beforeAll(async () => {
    world = await oidcWorld('oidc-consent');
  }, 30_000);
  afterAll(async () => world.stop());

  it('shows the consent page after sign-in, and issues tokens only once the user allows', async () => {
    const redirectUri = world.clients.acme!.redirectUri.replace('/acme/', '/partner/');
    const { clientSecret } = await world.ops.createClient({ tenant: 'acme', clientId: 'partner', redirectUris: [redirectUri] });
    const rp = await relyingParty(world.issuer('acme'), 'partner', clientSecret!, redirectUri);
    const first = await signIn(rp, 'john', 'john-secret-pw');
    expect(first).toMatchObject({ ok: false, status: 200 });
    if (first.ok) return;
    expect(first.page).toContain('<strong>partner</strong> asks to use your acme account');
    const { Browser } = await import('../../bench/oidc-client.js');
    const browser = first.browser as InstanceType<typeof Browser>;
    const action = /<form method="post" action="([^"]+)"/.exec(first.page)![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(first.page)![1]!;
    const step = await browser.follow(new URL(action, world.url).toString(), redirectUri, { method: 'POST', body: new URLSearchParams({ csrf, decision: 'allow' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(step.url.startsWith(redirectUri)).toBe(true);
    expect(new URL(step.url).searchParams.get('code')).toBeTruthy();
    const d = world.gateway.domain;
    const { queryPage } = await import('../../src/audit/query.js');
    const [consent] = (await queryPage({ audit: d.auditStore, tenants: d.tenants, users: d.users }, { tenant: 'acme', action: 'consent.granted' }, 5)).entries;
    expect(consent).toMatchObject({ who: 'john', outcome: 'success', clientId: 'partner' });
    // Signing in again from the same browser needs no second consent.
    const again = await signIn(rp, 'john', 'john-secret-pw', { browser });
    expect(again.ok).toBe(true);
  });
});
