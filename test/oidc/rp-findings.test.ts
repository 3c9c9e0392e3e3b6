import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { Browser, relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { oidcWorld, type OidcWorld } from './setup.js';

/**
 * What relying parties nobody here wrote hit (issue 16, items 1-7), each against the spec that
 * says so. mod_auth_openidc and authlib themselves run in test/rp/.
 */
describe('what real relying parties need of an issuer (issue 16)', () => {
  let world: OidcWorld;
  let acme: RelyingParty;
  const offline = 'openid profile offline_access';

  beforeAll(async () => {
    world = await oidcWorld('rp-findings');
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
    await world.ops.openSupport({ tenant: 'acme', username: 'john', hours: 2 });
  });
  afterAll(async () => {
    await world.stop();
  });

  const login = async (username: string, password: string, scope = offline) => {
    const r = await signIn(acme, username, password, { scope });
    if (!r.ok) throw new Error(`${username}: ${r.error}`);
    return r.tokens;
  };

  it('1. RFC 6749 §6: a refresh asking for the scope granted at login (mod_auth_openidc repeats it) succeeds, and for fewer too; not for more', async () => {
    const tokens = await login('john', 'john-secret-pw');
    expect(tokens.refresh_token).toBeTruthy();
    const same = await client.refreshTokenGrant(acme.config, tokens.refresh_token!, { scope: offline });
    expect(same.access_token).toBeTruthy();
    const fewer = await client.refreshTokenGrant(acme.config, same.refresh_token ?? tokens.refresh_token!, { scope: 'openid' });
    expect(fewer.access_token).toBeTruthy();
    await expect(client.refreshTokenGrant(acme.config, fewer.refresh_token ?? same.refresh_token ?? tokens.refresh_token!, { scope: `${offline} users:write` })).rejects.toMatchObject({ error: 'invalid_scope' });
  });

  it('1. scopes_supported tells the truth, and a refresh token is issued to every client allowed the refresh grant, offline_access asked or not (README: Tokens)', async () => {
    const meta = acme.config.serverMetadata();
    expect(meta.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'offline_access']));
    expect(meta.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    const tokens = await login('john', 'john-secret-pw', 'openid profile');
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });

  it('2. Core 3.1.2.1: the authorization endpoint accepts a form POST', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(acme.config, { redirect_uri: acme.redirectUri, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'xyz' });
    const browser = new Browser();
    const res = await browser.request(`${url.origin}${url.pathname}`, { method: 'POST', body: url.searchParams, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    // The same request, sent on as a GET (303): the browser follows it to the login page.
    expect(res.status).toBe(303);
    const get = new URL(res.headers.get('location')!);
    expect(`${get.origin}${get.pathname}`).toBe(`${url.origin}${url.pathname}`);
    expect(Object.fromEntries(get.searchParams)).toEqual(Object.fromEntries(url.searchParams));
    const followed = await browser.request(get.toString());
    expect(followed.headers.get('location')).toMatch(/\/interaction\//);
  });

  it('2. RP-Initiated Logout §2: the end-session endpoint accepts a form POST', async () => {
    const r = await signIn(acme, 'john', 'john-secret-pw');
    if (!r.ok) throw new Error(r.error);
    const res = await r.browser.request(`${world.issuer('acme')}/session/end`, {
      method: 'POST',
      body: new URLSearchParams({ id_token_hint: r.tokens.id_token!, client_id: world.clients.acme!.id }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(303);
    const page = await r.browser.request(res.headers.get('location')!);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<form/);
  });

  it('2. a POST to those endpoints that is no form is refused in words (415), never a server error (found by the fuzz test)', async () => {
    for (const path of ['/auth', '/session/end']) {
      const res = await fetch(`${world.issuer('acme')}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
      expect({ path, status: res.status }).toEqual({ path, status: 415 });
      expect(await res.text()).toMatch(/must be sent as a form/);
    }
  });

  it('3. RFC 6749 §5.1: token responses carry Cache-Control: no-store and Pragma: no-cache', async () => {
    const r = await signIn(acme, 'john', 'john-secret-pw', { scope: offline });
    if (!r.ok) throw new Error(r.error);
    const res = await fetch(`${world.issuer('acme')}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${world.clients.acme!.id}:${world.clients.acme!.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: r.tokens.refresh_token! }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/no-store/);
    expect(res.headers.get('pragma')).toBe('no-cache');
  });

  it('4. SPEC §4: the ID token, userinfo and introspection carry the claims the README table shows, for an ordinary and a support login', async () => {
    const table: Record<string, Record<'ordinary' | 'support', Record<string, unknown>>> = {};
    for (const [kind, who, pw] of [['ordinary', 'john', 'john-secret-pw'], ['support', 'jill$john', 'jill-secret-pw']] as const) {
      const tokens = await login(who, pw, 'openid profile');
      const sub = tokens.claims()!.sub;
      const id = decodeJwt(tokens.id_token!);
      const info = await client.fetchUserInfo(acme.config, tokens.access_token, sub);
      const intro = await client.tokenIntrospection(acme.config, tokens.access_token);
      for (const [where, claims] of [['id_token', id], ['userinfo', info], ['introspection', intro]] as const) {
        (table[where] ??= {} as Record<'ordinary' | 'support', Record<string, unknown>>)[kind] = claims as Record<string, unknown>;
      }
    }
    // The README's table (Tokens: which claims where).
    for (const where of ['id_token', 'userinfo', 'introspection']) {
      for (const kind of ['ordinary', 'support'] as const) {
        expect(table[where]![kind]).toMatchObject({ sub: expect.any(String), tenant: 'acme', preferred_username: 'john' });
        if (kind === 'support') expect(table[where]![kind]).toMatchObject({ act: { sub: expect.any(String), preferred_username: 'jill' } });
        else expect(table[where]![kind]).not.toHaveProperty('act');
      }
    }
    for (const kind of ['ordinary', 'support'] as const) {
      expect(table.id_token![kind]).toMatchObject({ amr: ['pwd'], acr: expect.any(String), sid: expect.any(String) });
    }
  });

  it('5. an unknown tenant on a JSON endpoint answers 404 with a JSON error body', async () => {
    const base = `${world.url}/t/nosuch`;
    for (const [method, path] of [['GET', '/.well-known/openid-configuration'], ['GET', '/jwks'], ['POST', '/token'], ['GET', '/me'], ['POST', '/token/introspection'], ['POST', '/token/revocation']] as const) {
      // As a browser-ish client might ask (Accept: text/html first), and as a program.
      for (const accept of ['application/json', 'text/html,application/xhtml+xml,*/*;q=0.8', '*/*']) {
        const res = await fetch(`${base}${path}`, { method, headers: { accept, ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) }, ...(method === 'POST' ? { body: 'x=1' } : {}) });
        expect({ path, accept, status: res.status, type: res.headers.get('content-type') }).toMatchObject({ status: 404, type: expect.stringMatching(/^application\/json/) });
        expect(await res.json()).toMatchObject({ error: expect.any(String) });
      }
    }
  });

  it('6. RFC 8414 §3.1: metadata at /.well-known/oauth-authorization-server/t/<tenant>, consistent with discovery', async () => {
    const res = await fetch(`${world.url}/.well-known/oauth-authorization-server/t/acme`);
    expect(res.status).toBe(200);
    const meta = (await res.json()) as Record<string, unknown>;
    const oidc = (await (await fetch(`${world.issuer('acme')}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta.issuer).toBe(world.issuer('acme'));
    for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint', 'scopes_supported', 'response_types_supported', 'grant_types_supported', 'code_challenge_methods_supported']) {
      expect({ [k]: meta[k] }).toEqual({ [k]: oidc[k] });
    }
    expect((await fetch(`${world.url}/.well-known/oauth-authorization-server/t/nosuch`)).status).toBe(404);
  });

  it('7. every ID token carries amr and an acr from acr_values_supported; an essential acr that cannot be met ends in unmet_authentication_requirements', async () => {
    const meta = acme.config.serverMetadata();
    expect(meta.acr_values_supported).toEqual(expect.any(Array));
    const tokens = await login('john', 'john-secret-pw', 'openid');
    const id = decodeJwt(tokens.id_token!);
    expect(meta.acr_values_supported).toContain(id.acr);
    expect(id.amr).toEqual(['pwd']);
    // claims={"id_token":{"acr":{"essential":true,"values":["urn:example:mfa"]}}}
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(acme.config, {
      redirect_uri: acme.redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'acr',
      claims: JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:example:mfa'] } } }),
    });
    const browser = new Browser();
    let step = await browser.follow(url.toString(), acme.redirectUri);
    if (!step.url.startsWith(acme.redirectUri)) {
      const html = await step.res.text();
      const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
      const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
      step = await browser.follow(new URL(action!.replace(/&amp;/g, '&'), step.url).toString(), acme.redirectUri, {
        method: 'POST',
        body: new URLSearchParams({ csrf: csrf!, tenant: '', username: 'john', password: 'john-secret-pw' }),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    }
    const back = new URL(step.url);
    expect(back.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(back.searchParams.get('code')).toBeNull();
  });
});
