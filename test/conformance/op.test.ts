import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import * as client from 'openid-client';
import { Browser } from '../../bench/oidc-client.js';
import { LogoutReceiver } from '../backchannel/world.js';
import { oidcWorld, type OidcWorld } from '../oidc/setup.js';

/*
 * The OpenID Foundation conformance suite's OP checks, run offline against a started gateway
 * (tenant acme's issuer): the Config OP and Basic OP certification profiles as far as they apply
 * to this OP, and RP-Initiated Logout 1.0. Each test is named after the suite's module (and the
 * spec section it holds the OP to); what the module expects is taken from its description in
 * openid-certification/conformance-suite (src/main/java/net/openid/conformance/openid/). Where the
 * suite wants a screenshot of an error page, the check is that the OP shows an HTML page of its own
 * (status >= 400) to a browser and never redirects to the client. One file, by the issue's request (16): it is the conformance run.
 *
 * Not applicable to this OP, so not written:
 * - oidcc-idtoken-unsigned (alg none): a client can register RS256 or ES256 only; none is never issued.
 * - Implicit and hybrid profiles, oidcc-implicit-*, oidcc-hybrid-*, form_post plans: response_types
 *   is code only.
 * - Dynamic OP: oidcc-registration-*, oidcc-redirect-uri-regfrag, -query-OK/-mismatch (need a
 *   client registered with a query in its redirect URI), oidcc-server-rotate-keys, sector_identifier_uri,
 *   request_uri by registration: there is no registration endpoint (clients come from `client create`).
 * - oidcc-request-uri-signed-rs256, oidcc-ensure-request-object-with-redirect-uri, signed request
 *   objects: request objects are not supported (that one sent by value or by reference is refused
 *   as unsupported is checked below).
 * - Encrypted ID tokens / userinfo (id_token_encrypted_response_*), signed userinfo, pairwise subjects,
 *   client_secret_jwt / private_key_jwt, mTLS: not offered.
 * - The suite's https requirement on every endpoint (CheckDiscEndpointAllEndpointsAreHttps): the test
 *   gateway is http://localhost; production PUBLIC_URL is https.
 * - oidcc-scope-address / -phone / -email as claim checks: those scopes are not in scopes_supported,
 *   so the check is that asking for them is ignored (below).
 * - The suite's grant_types_supported check also wants "implicit": OIDC Discovery §3 asks that of
 *   Dynamic OPs only; this OP offers the code flow only and says so.
 */

const JOHN = { username: 'john', password: 'john-secret-pw' };

interface Rp {
  id: string;
  secret: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  config: client.Configuration;
}

/** What the user agent ended on: the client's redirect URI, or a page of the OP. */
type Outcome =
  | { at: 'callback'; url: URL; params: URLSearchParams; pages: string[]; redirects: string[] }
  | { at: 'page'; status: number; type: string | null; html: string; url: string; pages: string[]; redirects: string[] };

interface Authorization {
  outcome: Outcome;
  verifier: string;
  state: string;
  nonce: string | undefined;
}

describe('OpenID conformance: Config OP, Basic OP and RP-Initiated Logout against a tenant issuer', () => {
  let world: OidcWorld;
  let issuer: string;
  let meta: Record<string, unknown>;
  let jwks: JSONWebKeySet;
  let rp: Rp;
  let rp2: Rp;
  let postRp: Rp;

  const register = async (clientId: string, opts: { firstParty: boolean; authMethod?: 'client_secret_post'; backchannelLogoutUri?: string }): Promise<Rp> => {
    const origin = new URL(world.clients.acme!.redirectUri).origin;
    const redirectUri = `${origin}/${clientId}/callback`;
    const postLogoutRedirectUri = `${origin}/${clientId}/post_logout_redirect`;
    const { clientSecret } = await world.ops.createClient({ tenant: 'acme', clientId, redirectUris: [redirectUri], postLogoutRedirectUris: [postLogoutRedirectUri], firstParty: opts.firstParty, ...(opts.authMethod ? { authMethod: opts.authMethod } : {}), ...(opts.backchannelLogoutUri ? { backchannelLogoutUri: opts.backchannelLogoutUri, backchannelLogoutSessionRequired: true } : {}) });
    const auth = opts.authMethod === 'client_secret_post' ? client.ClientSecretPost(clientSecret!) : client.ClientSecretBasic(clientSecret!);
    const config = await client.discovery(new URL(issuer), clientId, clientSecret!, auth, { execute: [client.allowInsecureRequests] });
    return { id: clientId, secret: clientSecret!, redirectUri, postLogoutRedirectUri, config };
  };

  // oidcc-codereuse-30seconds: a code redeemed while the suite starts, presented again 30 s later.
  let reuse30: { code: string; body: Record<string, string>; accessToken: string; firstUse: number };

  beforeAll(async () => {
    world = await oidcWorld('conformance');
    issuer = world.issuer('acme');
    meta = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    jwks = (await (await fetch(String(meta.jwks_uri))).json()) as JSONWebKeySet;
    rp = await register('conformance-rp', { firstParty: true });
    rp2 = await register('conformance-rp2', { firstParty: false });
    postRp = await register('conformance-post', { firstParty: true, authMethod: 'client_secret_post' });
    // oidcc-codereuse-30seconds: the code is redeemed now and presented again by the last test.
    const a = await authorize(rp, new Browser());
    const code = callbackOf(a).params.get('code')!;
    const body = { grant_type: 'authorization_code', code, redirect_uri: rp.redirectUri, code_verifier: a.verifier };
    const first = await tokenRequest(rp, body);
    reuse30 = { code, body, accessToken: String(first.json.access_token), firstUse: Date.now() };
  }, 30_000);
  afterAll(async () => world.stop());

  // ---------------------------------------------------------------------------------------------
  // A user agent and a relying party, written against the specs rather than against this OP.

  /** The authorization request's parameters: code flow, PKCE S256, state and nonce (undefined drops one). */
  async function authParams(r: Rp, extra: Record<string, string | undefined> = {}) {
    const verifier = client.randomPKCECodeVerifier();
    const state = extra.state ?? client.randomState();
    const nonce = 'nonce' in extra ? extra.nonce : client.randomNonce();
    const params: Record<string, string | undefined> = {
      client_id: r.id,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: r.redirectUri,
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    };
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, v);
    return { query, verifier, state, nonce };
  }

  /** A top-level navigation as a browser makes it: it asks for HTML (oidc-provider picks HTML or JSON errors by Accept). */
  const ACCEPT_HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
  const navigate = (browser: Browser, url: string, init: RequestInit = {}) => browser.request(url, { ...init, headers: { accept: ACCEPT_HTML, ...(init.headers as Record<string, string> | undefined) } });

  /** Follows the OP's redirects, signs in on the login page and allows on the consent page, until the app's redirect URI or another page. */
  async function drive(browser: Browser, start: string, stopAt: string, who: { username: string; password: string } | null, init?: RequestInit): Promise<Outcome> {
    const pages: string[] = [];
    const redirects: string[] = [];
    let current = start;
    let res = await navigate(browser, current, init);
    for (let i = 0; i < 20; i++) {
      if (res.status >= 300 && res.status < 400) {
        current = new URL(res.headers.get('location')!, current).toString();
        redirects.push(current);
        if (current.startsWith(stopAt)) {
          const url = new URL(current);
          return { at: 'callback', url, params: url.searchParams, pages, redirects };
        }
        res = await navigate(browser, current);
        continue;
      }
      const html = await res.text();
      const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
      const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
      const post = (body: Record<string, string>) => navigate(browser, new URL(action!, current).toString(), { method: 'POST', body: new URLSearchParams(body), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      if (action && csrf && html.includes('name="password"') && who && !pages.includes('login')) {
        pages.push('login');
        const tenant = /id="tenant" name="tenant" value="([^"]*)"/.exec(html)?.[1] ?? '';
        res = await post({ csrf, tenant, username: who.username, password: who.password });
        continue;
      }
      if (action && csrf && html.includes('name="decision"') && !pages.includes('consent')) {
        pages.push('consent');
        res = await post({ csrf, decision: 'allow' });
        continue;
      }
      if (html.includes('name="password"')) pages.push('login');
      return { at: 'page', status: res.status, type: res.headers.get('content-type'), html, url: current, pages, redirects };
    }
    throw new Error(`too many steps from ${start}`);
  }

  async function authorize(r: Rp, browser: Browser, extra: Record<string, string | undefined> = {}, who: { username: string; password: string } | null = JOHN): Promise<Authorization> {
    const { query, verifier, state, nonce } = await authParams(r, extra);
    const outcome = await drive(browser, `${String(meta.authorization_endpoint)}?${query}`, r.redirectUri, who);
    return { outcome, verifier, state, nonce };
  }

  function callbackOf(a: Authorization): Extract<Outcome, { at: 'callback' }> {
    if (a.outcome.at !== 'callback') throw new Error(`expected a redirect to the app, the OP showed a page (${a.outcome.status}): ${a.outcome.html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 300)}`);
    return a.outcome;
  }

  /** The code exchange as openid-client (a certified RP library) does it: it checks state, iss, aud, exp, iat and nonce. */
  async function exchange(r: Rp, a: Authorization) {
    return client.authorizationCodeGrant(r.config, callbackOf(a).url, { pkceCodeVerifier: a.verifier, expectedState: a.state, ...(a.nonce ? { expectedNonce: a.nonce } : {}), idTokenExpected: true });
  }

  async function signedIn(r: Rp, extra: Record<string, string | undefined> = {}, browser = new Browser()) {
    const a = await authorize(r, browser, extra);
    const tokens = await exchange(r, a);
    return { a, tokens, browser, idToken: decodeJwt(tokens.id_token!) };
  }

  const basic = (r: Rp) => `Basic ${Buffer.from(`${encodeURIComponent(r.id)}:${encodeURIComponent(r.secret)}`).toString('base64')}`;

  /** A raw token endpoint request, authenticated the way the client is registered. */
  async function tokenRequest(r: Rp, body: Record<string, string>, how: 'basic' | 'post' = 'basic') {
    const form = new URLSearchParams(body);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (how === 'basic') headers.authorization = basic(r);
    else {
      form.set('client_id', r.id);
      form.set('client_secret', r.secret);
    }
    const res = await fetch(String(meta.token_endpoint), { method: 'POST', headers, body: form });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
  }

  const userinfoStatus = async (accessToken: string) => (await fetch(String(meta.userinfo_endpoint), { headers: { authorization: `Bearer ${accessToken}` } })).status;

  /** What an authorization with prompt=none says about the browser's session at the OP. */
  async function silently(r: Rp, browser: Browser, extra: Record<string, string | undefined> = {}) {
    const a = await authorize(r, browser, { prompt: 'none', ...extra }, null);
    return { a, params: callbackOf(a).params };
  }

  /** An OP page that is not a redirect to the client: a shown error, refusing the request. */
  function expectErrorPageNotRedirect(o: Outcome, notTo: string) {
    expect(o.redirects.filter((u) => u.startsWith(notTo))).toEqual([]);
    expect(o.at).toBe('page');
    if (o.at === 'page') expect({ status: o.status >= 400, type: o.type }).toEqual({ status: true, type: expect.stringMatching(/^text\/html/) });
  }

  // ---------------------------------------------------------------------------------------------
  describe('Config OP', () => {
    it('oidcc-discovery-endpoint-verification (Discovery 4, 4.3): the document answers 200 as JSON, and its issuer is exactly the URL it was fetched under', async () => {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const doc = (await res.json()) as Record<string, unknown>;
      expect(doc.issuer).toBe(issuer);
      expect(() => new URL(String(doc.issuer))).not.toThrow();
      expect(new URL(String(doc.issuer)).search + new URL(String(doc.issuer)).hash).toBe('');
    });

    it('oidcc-discovery-endpoint-verification (Discovery 3): authorization, token and userinfo endpoints and jwks_uri are present, absolute and under the issuer', () => {
      for (const k of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
        expect({ [k]: typeof meta[k] }).toEqual({ [k]: 'string' });
        expect({ [k]: String(meta[k]).startsWith(`${issuer}/`) }).toEqual({ [k]: true });
      }
      expect(meta.registration_endpoint).toBeUndefined();
    });

    it('oidcc-discovery-endpoint-verification (Discovery 3): response_types_supported has code, subject_types_supported is given, id_token_signing_alg_values_supported has RS256', () => {
      expect(meta.response_types_supported).toContain('code');
      expect(meta.subject_types_supported).toEqual(expect.arrayContaining([expect.stringMatching(/^(public|pairwise)$/)]));
      expect(meta.id_token_signing_alg_values_supported).toContain('RS256');
    });

    it('oidcc-discovery-endpoint-verification (Discovery 3): scopes_supported has openid, claims_supported lists what the ID token carries, token_endpoint_auth_methods_supported names both secret methods, grant types and PKCE methods are arrays with code and S256', () => {
      expect(meta.scopes_supported).toContain('openid');
      for (const s of meta.scopes_supported as string[]) expect(s).toMatch(/^[\x21\x23-\x5B\x5D-\x7E]+$/); // RFC 6749 3.3 scope-token
      expect(meta.claims_supported).toEqual(expect.arrayContaining(['sub', 'iss', 'acr', 'amr', 'tenant', 'preferred_username']));
      expect(meta.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post']));
      expect(meta.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
      expect(meta.code_challenge_methods_supported).toEqual(expect.arrayContaining(['S256']));
      // RFC 8414 2: locales are BCP47 language tags, where given.
      for (const k of ['ui_locales_supported', 'claims_locales_supported']) if (meta[k] !== undefined) for (const l of meta[k] as string[]) expect(l).toMatch(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/);
    });

    it('oidcc-discovery-endpoint-verification (Discovery 3): request_uri_parameter_supported (default true) and request_parameter_supported tell the truth about what the authorization endpoint does with them', async () => {
      const { query } = await authParams(rp, { request_uri: 'https://rp.example.com/request.jwt' });
      const o = await drive(new Browser(), `${String(meta.authorization_endpoint)}?${query}`, rp.redirectUri, null);
      const error = o.at === 'callback' ? o.params.get('error') : 'page';
      if (error === 'request_uri_not_supported') expect(meta.request_uri_parameter_supported).toBe(false);
      if (meta.request_parameter_supported !== true) expect(meta.request_parameter_supported ?? false).toBe(false);
      expect(meta.claims_parameter_supported).toBe(true); // the claims parameter is used (README: acr)
    });

    it('oidcc-discovery-endpoint-verification (Discovery 3, RFC 7517 4.5, RFC 7518 6.3.2): jwks_uri answers JSON, every key has a unique kid and use sig, none carries private or symmetric material', async () => {
      const res = await fetch(String(meta.jwks_uri));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/(jwk-set\+)?json/);
      const set = (await res.json()) as { keys: Record<string, unknown>[] };
      expect(set.keys.length).toBeGreaterThan(0);
      const kids = set.keys.map((k) => k.kid);
      for (const k of set.keys) {
        expect({ kid: typeof k.kid, use: k.use }).toEqual({ kid: 'string', use: 'sig' });
        expect(k.kty).not.toBe('oct');
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) expect({ [String(k.kid)]: secret in k }).toEqual({ [String(k.kid)]: false });
      }
      expect(new Set(kids).size).toBe(kids.length);
      expect(set.keys.some((k) => k.kty === 'RSA' && (k.alg === undefined || k.alg === 'RS256'))).toBe(true);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('Basic OP', () => {
    it('oidcc-server (Core 3.1.2.1, 3.1.2.5, 3.1.3.3, 3.1.3.7): the code flow returns the code with the state unchanged, and the token response is a no-store Bearer JSON with an ID token carrying iss, sub, aud, exp, iat and nonce', async () => {
      const state = client.randomState() + client.randomState() + client.randomState() + client.randomState(); // 128 characters: the suite checks it is not cut
      const a = await authorize(rp, new Browser(), { state });
      const cb = callbackOf(a);
      expect(cb.params.get('state')).toBe(state);
      expect(cb.params.get('code')).toEqual(expect.any(String));
      if (meta.authorization_response_iss_parameter_supported === true) expect(cb.params.get('iss')).toBe(issuer); // RFC 9207
      const res = await tokenRequest(rp, { grant_type: 'authorization_code', code: cb.params.get('code')!, redirect_uri: rp.redirectUri, code_verifier: a.verifier });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toMatch(/no-store/);
      expect(String(res.json.token_type).toLowerCase()).toBe('bearer');
      expect(res.json.access_token).toEqual(expect.any(String));
      const id = decodeJwt(String(res.json.id_token));
      const now = Math.floor(Date.now() / 1000);
      expect(id).toMatchObject({ iss: issuer, sub: expect.any(String), nonce: a.nonce, exp: expect.any(Number), iat: expect.any(Number) });
      expect(id.sub!.length).toBeLessThanOrEqual(255);
      expect([id.aud].flat()).toContain(rp.id);
      if (Array.isArray(id.aud) && id.aud.length > 1) expect(id.azp).toBe(rp.id);
      expect(id.exp!).toBeGreaterThan(now);
      expect(Math.abs(id.iat! - now)).toBeLessThan(300);
    });

    it('oidcc-response-type-missing (RFC 6749 3.1.1): without response_type the OP shows an error, or sends the app invalid_request / unsupported_response_type, never a code', async () => {
      const a = await authorize(rp, new Browser(), { response_type: undefined });
      if (a.outcome.at === 'callback') {
        expect(a.outcome.params.get('code')).toBeNull();
        expect(['invalid_request', 'unsupported_response_type']).toContain(a.outcome.params.get('error'));
        expect(a.outcome.params.get('state')).toBe(a.state);
      } else {
        expect(a.outcome.status).toBeGreaterThanOrEqual(400);
        expect(a.outcome.pages).not.toContain('login');
      }
    });

    it('oidcc-idtoken-signature (Core 3.1.3.7, 10.1): the ID token is signed RS256 by a key of jwks_uri named by its kid', async () => {
      const { tokens } = await signedIn(rp);
      const header = decodeProtectedHeader(tokens.id_token!);
      expect(header.alg).toBe('RS256');
      expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
      const { payload } = await jwtVerify(tokens.id_token!, createLocalJWKSet(jwks), { issuer, audience: rp.id, algorithms: ['RS256'] });
      expect(payload.sub).toEqual(expect.any(String));
    });

    it.each([
      ['oidcc-userinfo-get (Core 5.3.1)', 'GET header'],
      ['oidcc-userinfo-post-header (Core 5.3.1)', 'POST header'],
      ['oidcc-userinfo-post-body (Core 5.3.1, RFC 6750 2.2)', 'POST body'],
    ] as const)('%s: userinfo answers the access token (%s) with JSON whose sub is the ID token\'s', async (_module, how) => {
      const { tokens, idToken } = await signedIn(rp);
      const url = String(meta.userinfo_endpoint);
      const res =
        how === 'GET header'
          ? await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } })
          : how === 'POST header'
            ? await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } })
            : await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ access_token: tokens.access_token }) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await res.json()) as { sub: string }).sub).toBe(idToken.sub);
    });

    it('oidcc-check-userinfo-returns-same-sub (Core 5.3.2): userinfo and the ID token name the same sub, for john and for the support login jill$john', async () => {
      await world.ops.openSupport({ tenant: 'acme', username: 'john', hours: 1 });
      const john = await signedIn(rp);
      const support = await (async () => {
        const a = await authorize(rp, new Browser(), {}, { username: 'jill$john', password: 'jill-secret-pw' });
        const tokens = await exchange(rp, a);
        return { tokens, idToken: decodeJwt(tokens.id_token!) };
      })();
      for (const { tokens, idToken } of [john, support]) {
        const info = await client.fetchUserInfo(rp.config, tokens.access_token, idToken.sub!);
        expect(info.sub).toBe(idToken.sub);
      }
      expect(support.idToken.sub).toBe(john.idToken.sub);
    });

    it('oidcc-ensure-request-without-nonce-succeeds-for-code-flow (Core 3.1.2.1): nonce is optional in the code flow, and the ID token then has none', async () => {
      const { idToken } = await signedIn(rp, { nonce: undefined });
      expect(idToken.nonce).toBeUndefined();
    });

    it('oidcc-scope-profile (Core 5.4): scope profile (in scopes_supported) gives the profile claims the OP has', async () => {
      expect(meta.scopes_supported).toContain('profile');
      const { tokens, idToken } = await signedIn(rp, { scope: 'openid profile' });
      const info = await client.fetchUserInfo(rp.config, tokens.access_token, idToken.sub!);
      expect(info).toMatchObject({ preferred_username: 'john', name: expect.any(String) });
    });

    it('oidcc-scope-email / -address / -phone / -all (Core 5.4, 3.1.2.1): a scope the OP does not offer is ignored, the flow succeeds; one it offers gives its claims', async () => {
      const scopes = ['email', 'address', 'phone'];
      const { tokens, idToken } = await signedIn(rp, { scope: `openid ${scopes.join(' ')} profile` });
      const info = (await client.fetchUserInfo(rp.config, tokens.access_token, idToken.sub!)) as Record<string, unknown>;
      const claimsOf: Record<string, string> = { email: 'email', address: 'address', phone: 'phone_number' };
      for (const s of scopes) {
        if ((meta.scopes_supported as string[]).includes(s)) expect(info).toHaveProperty(claimsOf[s]!);
        else expect({ [s]: claimsOf[s]! in info }).toEqual({ [s]: false });
      }
      expect(tokens.scope?.split(' ') ?? []).not.toEqual(expect.arrayContaining(scopes.filter((s) => !(meta.scopes_supported as string[]).includes(s))));
    });

    it('oidcc-ensure-other-scope-order-succeeds (Core 3.1.2.1, RFC 6749 3.3): "profile openid" works like "openid profile"', async () => {
      const { idToken } = await signedIn(rp, { scope: 'profile openid' });
      expect(idToken.sub).toEqual(expect.any(String));
    });

    it.each([['page', 'page'], ['popup', 'popup']])('oidcc-display-%s (Core 3.1.2.1): display=%s is accepted', async (display) => {
      const { idToken } = await signedIn(rp, { display });
      expect(idToken.sub).toEqual(expect.any(String));
    });

    it('oidcc-prompt-login (Core 3.1.2.1): a signed-in user asked with prompt=login sees the login page again; the same sub, and auth_time differs if present', async () => {
      const first = await signedIn(rp);
      await new Promise((r) => setTimeout(r, 1100)); // auth_time is in whole seconds
      const a = await authorize(rp, first.browser, { prompt: 'login' });
      expect(a.outcome.pages).toContain('login');
      const second = decodeJwt((await exchange(rp, a)).id_token!);
      expect(second.sub).toBe(first.idToken.sub);
      if (first.idToken.auth_time !== undefined && second.auth_time !== undefined) expect(second.auth_time).not.toBe(first.idToken.auth_time);
    });

    it('oidcc-prompt-none-not-logged-in (Core 3.1.2.1, 3.1.2.6): prompt=none without a session returns error=login_required with the state, no page', async () => {
      const { a, params } = await silently(rp, new Browser());
      expect(a.outcome.pages).toEqual([]);
      expect(params.get('error')).toBe('login_required');
      expect(params.get('state')).toBe(a.state);
      expect(params.get('code')).toBeNull();
    });

    it('oidcc-prompt-none-logged-in (Core 3.1.2.1): prompt=none with a session returns a code without any page, for the same sub', async () => {
      const first = await signedIn(rp);
      const { a } = await silently(rp, first.browser);
      expect(a.outcome.pages).toEqual([]);
      expect(decodeJwt((await exchange(rp, a)).id_token!).sub).toBe(first.idToken.sub);
    });

    it('oidcc-max-age-1 (Core 3.1.2.1, 2): max_age=1 two seconds after signing in asks for the login again, and the ID token has a later, recent auth_time', async () => {
      const first = await signedIn(rp);
      await new Promise((r) => setTimeout(r, 2000));
      const a = await authorize(rp, first.browser, { max_age: '1' });
      expect(a.outcome.pages).toContain('login');
      const second = decodeJwt((await exchange(rp, a)).id_token!);
      expect(second.auth_time).toEqual(expect.any(Number));
      if (first.idToken.auth_time !== undefined) expect(second.auth_time!).toBeGreaterThan(first.idToken.auth_time as number);
      expect(Math.abs((second.auth_time as number) - Math.floor(Date.now() / 1000))).toBeLessThan(60);
    });

    it('oidcc-max-age-10000 (Core 3.1.2.1, 2): max_age=10000 right after signing in needs no login, and the ID token carries the first auth_time', async () => {
      const first = await signedIn(rp);
      const a = await authorize(rp, first.browser, { max_age: '10000' });
      expect(a.outcome.pages).toEqual([]);
      const second = decodeJwt((await exchange(rp, a)).id_token!);
      expect(second.auth_time).toEqual(expect.any(Number));
      if (first.idToken.auth_time !== undefined) expect(second.auth_time).toBe(first.idToken.auth_time);
      expect(second.sub).toBe(first.idToken.sub);
    });

    it('oidcc-ensure-request-with-unknown-parameter-succeeds (Core 3.1.2.1): an unknown parameter is ignored', async () => {
      const { idToken } = await signedIn(rp, { extra_param: 'foobar' });
      expect(idToken.sub).toEqual(expect.any(String));
    });

    it('oidcc-id-token-hint (Core 3.1.2.1): prompt=none with the first ID token as id_token_hint returns a code at once, same sub and auth_time', async () => {
      const first = await signedIn(rp);
      const { a } = await silently(rp, first.browser, { id_token_hint: first.tokens.id_token! });
      const second = decodeJwt((await exchange(rp, a)).id_token!);
      expect(second.sub).toBe(first.idToken.sub);
      if (first.idToken.auth_time !== undefined && second.auth_time !== undefined) expect(second.auth_time).toBe(first.idToken.auth_time);
    });

    it.each([
      ['oidcc-login-hint (Core 3.1.2.1)', { login_hint: 'john' }],
      ['oidcc-ui-locales (Core 3.1.2.1)', { ui_locales: 'se' }],
      ['oidcc-claims-locales (Core 5.2)', { claims_locales: 'se' }],
    ])('%s: the hint is accepted and the sign-in completes', async (_module, extra) => {
      const { idToken } = await signedIn(rp, extra);
      expect(idToken.sub).toEqual(expect.any(String));
    });

    it('oidcc-ensure-request-with-acr-values-succeeds (Core 3.1.2.1, 2): voluntary acr_values are accepted and the ID token carries an acr', async () => {
      const { idToken } = await signedIn(rp, { acr_values: '1 2' });
      expect(idToken.acr).toEqual(expect.any(String));
    });

    it('oidcc-claims-essential (Core 5.5.1): claims={"userinfo":{"name":{"essential":true}}} is accepted and userinfo returns name', async () => {
      const { tokens, idToken } = await signedIn(rp, { claims: JSON.stringify({ userinfo: { name: { essential: true } } }) });
      const info = await client.fetchUserInfo(rp.config, tokens.access_token, idToken.sub!);
      expect(info.name).toEqual(expect.any(String));
    });

    it('oidcc-codereuse (RFC 6749 4.1.2, 5.2; Core 3.1.3.2): a code presented twice is refused with 400 invalid_grant (JSON), and the tokens issued with it are revoked', async () => {
      const a = await authorize(rp, new Browser());
      const body = { grant_type: 'authorization_code', code: callbackOf(a).params.get('code')!, redirect_uri: rp.redirectUri, code_verifier: a.verifier };
      const first = await tokenRequest(rp, body);
      expect(first.status).toBe(200);
      const again = await tokenRequest(rp, body);
      expect(again.status).toBe(400);
      expect(again.headers.get('content-type')).toMatch(/^application\/json/);
      expect(again.json.error).toBe('invalid_grant');
      expect(await userinfoStatus(String(first.json.access_token))).toBe(401);
      const refresh = await tokenRequest(rp, { grant_type: 'refresh_token', refresh_token: String(first.json.refresh_token) });
      expect(refresh.json.error).toBe('invalid_grant');
    });

    it('oidcc-ensure-registered-redirect-uri (Core 3.1.2.1, RFC 6749 3.1.2.4): an unregistered redirect_uri gets an error page at the OP, no redirect there', async () => {
      const elsewhere = 'https://attacker.example.com/callback';
      const a = await authorize(rp, new Browser(), { redirect_uri: elsewhere });
      expectErrorPageNotRedirect(a.outcome, elsewhere);
      expect(a.outcome.pages).not.toContain('login');
    });

    it('oidcc-redirect-uri-query-added (Core 3.1.2.1 simple string comparison, RFC 6749 3.1.2.3): the registered redirect_uri with ?foo=bar added is refused with an error page', async () => {
      const added = `${rp.redirectUri}?foo=bar`;
      const a = await authorize(rp, new Browser(), { redirect_uri: added });
      expectErrorPageNotRedirect(a.outcome, rp.redirectUri);
    });

    it('oidcc-ensure-redirect-uri-in-authorization-request (Core 3.1.2.1: redirect_uri REQUIRED): a request without redirect_uri gets an error page, or invalid_request with the state; never a code', async () => {
      const a = await authorize(rp, new Browser(), { redirect_uri: undefined });
      if (a.outcome.at === 'callback') {
        expect({ error: a.outcome.params.get('error'), code: a.outcome.params.get('code') }).toEqual({ error: expect.stringMatching(/^invalid_request(_object)?$/), code: null });
        expect(a.outcome.params.get('state')).toBe(a.state);
      } else {
        expect(a.outcome.status).toBeGreaterThanOrEqual(400);
      }
    });

    it('oidcc-ensure-redirect-uri-mismatch (RFC 6749 4.1.3, Core 3.1.3.2): a token request whose redirect_uri differs from the authorization request\'s is invalid_grant', async () => {
      const a = await authorize(rp, new Browser());
      const res = await tokenRequest(rp, { grant_type: 'authorization_code', code: callbackOf(a).params.get('code')!, redirect_uri: `${rp.redirectUri}/other`, code_verifier: a.verifier });
      expect(res.status).toBe(400);
      expect(res.json.error).toBe('invalid_grant');
    });

    it('oidcc-ensure-redirect-uri-mismatch (RFC 6749 4.1.3: redirect_uri REQUIRED at the token endpoint when it was in the authorization request): a token request without it is refused', async () => {
      const a = await authorize(rp, new Browser());
      const res = await tokenRequest(rp, { grant_type: 'authorization_code', code: callbackOf(a).params.get('code')!, code_verifier: a.verifier });
      expect({ status: res.status, error: res.json.error }).toEqual({ status: 400, error: expect.stringMatching(/^invalid_(grant|request)$/) });
    });

    it('oidcc-ensure-post-request-succeeds (Core 3.1.2.1: POST supported): the authorization request as a form POST is answered 303 to the same request, and the flow completes', async () => {
      const { query, verifier, state, nonce } = await authParams(rp);
      const browser = new Browser();
      const res = await navigate(browser, String(meta.authorization_endpoint), { method: 'POST', body: query, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(res.status).toBe(303);
      const get = new URL(res.headers.get('location')!);
      expect(Object.fromEntries(get.searchParams)).toEqual(Object.fromEntries(query));
      const outcome = await drive(browser, get.toString(), rp.redirectUri, JOHN);
      const tokens = await exchange(rp, { outcome, verifier, state, nonce });
      expect(tokens.claims()?.sub).toEqual(expect.any(String));
    });

    it('oidcc-server-client-secret-post (RFC 6749 2.3.1, Core 9): a client registered for client_secret_post completes the flow with its secret in the body', async () => {
      const a = await authorize(postRp, new Browser());
      const res = await tokenRequest(postRp, { grant_type: 'authorization_code', code: callbackOf(a).params.get('code')!, redirect_uri: postRp.redirectUri, code_verifier: a.verifier }, 'post');
      expect(res.status).toBe(200);
      expect(decodeJwt(String(res.json.id_token))).toMatchObject({ iss: issuer, aud: postRp.id, nonce: a.nonce });
    });

    it('oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported (Core 6.1, 3.1.2.6): an unsigned request object is processed, or refused with request_not_supported', async () => {
      const inner = await authParams(rp, { nonce: `ro-${client.randomNonce()}` });
      const claims: JWTPayload = { iss: rp.id, aud: issuer, ...Object.fromEntries(inner.query) };
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const request = `${b64({ alg: 'none' })}.${b64(claims)}.`;
      const outer = new URLSearchParams({ client_id: rp.id, response_type: 'code', scope: 'openid', redirect_uri: rp.redirectUri, state: inner.state, request });
      const outcome = await drive(new Browser(), `${String(meta.authorization_endpoint)}?${outer}`, rp.redirectUri, JOHN);
      const cb = callbackOf({ outcome, verifier: inner.verifier, state: inner.state, nonce: inner.nonce });
      if (cb.params.get('code')) {
        // Processed: the nonce only the request object carried is in the ID token.
        const tokens = await exchange(rp, { outcome, verifier: inner.verifier, state: inner.state, nonce: inner.nonce });
        expect(tokens.claims()?.nonce).toBe(inner.nonce);
      } else {
        expect(cb.params.get('error')).toBe('request_not_supported');
        expect(cb.params.get('state')).toBe(inner.state);
        expect(meta.request_parameter_supported ?? false).toBe(false);
      }
    });

    it('oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported (Core 6.2, 3.1.2.6): a request_uri is processed, or refused with request_uri_not_supported and the state', async () => {
      const a = await authorize(rp, new Browser(), { request_uri: 'https://rp.example.com/request.jwt' }, JOHN);
      const cb = callbackOf(a);
      if (!cb.params.get('code')) {
        expect({ error: cb.params.get('error'), state: cb.params.get('state') }).toEqual({ error: 'request_uri_not_supported', state: a.state });
        expect(meta.request_uri_parameter_supported).toBe(false);
      }
    });

    it('oidcc-ensure-request-with-valid-pkce-succeeds (RFC 7636 4.6): the S256 verifier is accepted, a wrong one is invalid_grant, and a request without code_challenge is refused (PKCE required here)', async () => {
      const a = await authorize(rp, new Browser());
      const wrong = await tokenRequest(rp, { grant_type: 'authorization_code', code: callbackOf(a).params.get('code')!, redirect_uri: rp.redirectUri, code_verifier: client.randomPKCECodeVerifier() });
      expect(wrong.json.error).toBe('invalid_grant');
      expect((await exchange(rp, await authorize(rp, new Browser()))).access_token).toEqual(expect.any(String));
      const none = await authorize(rp, new Browser(), { code_challenge: undefined, code_challenge_method: undefined });
      expect(callbackOf(none).params.get('error')).toBe('invalid_request');
      expect(callbackOf(none).params.get('code')).toBeNull();
    });

    it('oidcc-refresh-token (RFC 6749 6, Core 12.1, 12.2): a refresh with and without scope gives new tokens and an ID token with the same iss, sub, aud and auth_time; the refresh token is bound to its client', async () => {
      const { tokens, idToken } = await signedIn(rp, { scope: 'openid profile offline_access', prompt: 'consent' });
      expect(meta.grant_types_supported).toContain('refresh_token');
      const rt = tokens.refresh_token!;
      expect(rt).toMatch(/^[\x20-\x7E]+$/); // RFC 6749 A.17 VSCHAR
      const plain = await tokenRequest(rp, { grant_type: 'refresh_token', refresh_token: rt });
      expect(plain.status).toBe(200);
      expect(plain.json.access_token).toEqual(expect.any(String));
      const refreshed = decodeJwt(String(plain.json.id_token));
      expect(refreshed).toMatchObject({ iss: idToken.iss, sub: idToken.sub, aud: idToken.aud });
      if (idToken.auth_time !== undefined) expect(refreshed.auth_time).toBe(idToken.auth_time);
      expect(await userinfoStatus(String(plain.json.access_token))).toBe(200);
      const scoped = await tokenRequest(rp, { grant_type: 'refresh_token', refresh_token: String(plain.json.refresh_token ?? rt), scope: 'openid profile offline_access' });
      expect(scoped.status).toBe(200);
      // client2 (a third-party client: consent page) may not use client1's refresh token, nor the reverse.
      const other = await signedIn(rp2, { scope: 'openid offline_access', prompt: 'consent' });
      expect(other.a.outcome.pages).toContain('consent');
      const crossed = await tokenRequest(rp, { grant_type: 'refresh_token', refresh_token: other.tokens.refresh_token! });
      expect({ status: crossed.status, error: crossed.json.error }).toEqual({ status: 400, error: 'invalid_grant' });
    });

    // Last of the Basic OP checks: by now most of its 30 seconds have passed running the others.
    it('oidcc-codereuse-30seconds (RFC 6749 4.1.2): 30 s after its first use a code is still refused with invalid_grant, and the access token issued with it is revoked', async () => {
      const wait = reuse30.firstUse + 30_000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const again = await tokenRequest(rp, reuse30.body);
      expect({ status: again.status, error: again.json.error }).toEqual({ status: 400, error: 'invalid_grant' });
      expect(await userinfoStatus(reuse30.accessToken)).toBe(401);
    }, 45_000);
  });

  // ---------------------------------------------------------------------------------------------
  describe('RP-Initiated Logout 1.0', () => {
    /** The end-session request in a browser: a confirmation page is confirmed (when `confirm`); where it ended. */
    async function endSession(browser: Browser, r: Rp, params: Record<string, string>, confirm = true) {
      const redirects: string[] = [];
      const pages: string[] = [];
      let current = `${String(meta.end_session_endpoint)}${Object.keys(params).length ? `?${new URLSearchParams(params)}` : ''}`;
      let res = await navigate(browser, current);
      for (let i = 0; i < 10; i++) {
        if (res.status >= 300 && res.status < 400) {
          current = new URL(res.headers.get('location')!, current).toString();
          redirects.push(current);
          if (current.startsWith(r.postLogoutRedirectUri.split('/post_logout_redirect')[0]!)) return { at: 'app' as const, url: new URL(current), redirects, pages };
          res = await navigate(browser, current);
          continue;
        }
        const html = await res.text();
        const action = /id="op\.logoutForm"[^>]*action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
        const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
        if (action && xsrf && confirm && !pages.includes('confirm')) {
          pages.push('confirm');
          res = await navigate(browser, new URL(action, current).toString(), { method: 'POST', body: new URLSearchParams({ xsrf, logout: 'yes' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
          continue;
        }
        if (action && xsrf) pages.push('confirm');
        return { at: 'page' as const, status: res.status, type: res.headers.get('content-type'), html, redirects, pages };
      }
      throw new Error('too many steps at the end-session endpoint');
    }

    /** The suite's follow-up: after logout an authorization with prompt=none must need a user interface. */
    async function expectSignedOut(browser: Browser) {
      const { params } = await silently(rp, browser);
      expect(['login_required', 'interaction_required', 'consent_required', 'account_selection_required']).toContain(params.get('error'));
    }

    async function expectStillSignedIn(browser: Browser) {
      const { params } = await silently(rp, browser);
      expect(params.get('code')).toEqual(expect.any(String));
    }

    it('oidcc-rp-initiated-logout-discovery-endpoint-verification (RP-Initiated Logout 3.1): end_session_endpoint is advertised under the issuer', () => {
      expect(String(meta.end_session_endpoint)).toMatch(new RegExp(`^${issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`));
    });

    it('oidcc-rp-initiated-logout (RP-Initiated Logout 2, 3): with id_token_hint, a registered post_logout_redirect_uri and state, the user is signed out and sent there with the state unchanged and nothing else', async () => {
      const { tokens, browser } = await signedIn(rp);
      const state = client.randomState() + client.randomState() + client.randomState() + client.randomState();
      const end = await endSession(browser, rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: rp.postLogoutRedirectUri, state });
      expect(end.at).toBe('app');
      if (end.at !== 'app') return;
      expect(`${end.url.origin}${end.url.pathname}`).toBe(rp.postLogoutRedirectUri);
      expect(Object.fromEntries(end.url.searchParams)).toEqual({ state });
      await expectSignedOut(browser);
    });

    it('oidcc-rp-initiated-logout-no-state (RP-Initiated Logout 2, 3): without state the user is sent to the post_logout_redirect_uri without one', async () => {
      const { tokens, browser } = await signedIn(rp);
      const end = await endSession(browser, rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: rp.postLogoutRedirectUri });
      expect(end.at).toBe('app');
      if (end.at === 'app') expect(end.url.searchParams.has('state')).toBe(false);
      await expectSignedOut(browser);
    });

    it.each([
      ['oidcc-rp-initiated-logout-bad-post-logout-redirect-uri (RP-Initiated Logout 2, 3.1)', (_r: Rp) => 'https://attacker.example.com/post_logout_redirect'],
      ['oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri (RP-Initiated Logout 2: exact match)', (r: Rp) => `${r.postLogoutRedirectUri}?foo=bar`],
    ])('%s: an unregistered post_logout_redirect_uri is never redirected to; the OP shows an error or asks the user', async (_module, uriOf) => {
      const { tokens, browser } = await signedIn(rp);
      const uri = uriOf(rp);
      const end = await endSession(browser, rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: uri, state: 'st' }, false);
      expect(end.redirects.filter((u) => u.startsWith(new URL(uri).origin))).toEqual([]);
      expect(end.at).toBe('page');
      if (end.at === 'page') expect({ refused: end.status >= 400 || end.pages.includes('confirm'), type: end.type }).toEqual({ refused: true, type: expect.stringMatching(/^text\/html/) });
    });

    it('oidcc-rp-initiated-logout-modified-id-token-hint (RP-Initiated Logout 2, 4): an id_token_hint changed to alg none, or with a broken signature, is refused: no redirect to the app, and the session stays', async () => {
      const { tokens, browser } = await signedIn(rp);
      const [h, p, s] = tokens.id_token!.split('.') as [string, string, string];
      const algNone = `${Buffer.from(JSON.stringify({ ...decodeProtectedHeader(tokens.id_token!), alg: 'none' })).toString('base64url')}.${p}.`;
      const flipped = `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
      for (const hint of [algNone, flipped]) {
        const end = await endSession(browser, rp, { id_token_hint: hint, post_logout_redirect_uri: rp.postLogoutRedirectUri, state: 'st' }, false);
        expect(end.redirects.filter((u) => u.startsWith(rp.postLogoutRedirectUri))).toEqual([]);
        expect(end.at).toBe('page');
        if (end.at === 'page') expect({ status: end.status >= 400, type: end.type }).toEqual({ status: true, type: expect.stringMatching(/^text\/html/) });
      }
      await expectStillSignedIn(browser);
    });

    it('oidcc-rp-initiated-logout-no-id-token-hint (RP-Initiated Logout 2, 4): a post_logout_redirect_uri with neither id_token_hint nor client_id is not redirected to', async () => {
      const { browser } = await signedIn(rp);
      const end = await endSession(browser, rp, { post_logout_redirect_uri: rp.postLogoutRedirectUri, state: 'st' });
      expect(end.redirects.filter((u) => u.startsWith(rp.postLogoutRedirectUri))).toEqual([]);
      expect(end.at).toBe('page');
    });

    it('oidcc-rp-initiated-logout-no-id-token-hint with client_id (RP-Initiated Logout 2, 4): the OP asks the user first; once confirmed the user is signed out and only the registered URI gets the state', async () => {
      const { browser } = await signedIn(rp);
      const asked = await endSession(browser, rp, { client_id: rp.id, post_logout_redirect_uri: rp.postLogoutRedirectUri, state: 'st' }, false);
      expect(asked).toMatchObject({ at: 'page', pages: ['confirm'] });
      const end = await endSession(browser, rp, { client_id: rp.id, post_logout_redirect_uri: rp.postLogoutRedirectUri, state: 'st' });
      if (end.at === 'app') expect(`${end.url.origin}${end.url.pathname}?${end.url.searchParams}`).toBe(`${rp.postLogoutRedirectUri}?state=st`);
      await expectSignedOut(browser);
    });

    it.each([
      ['oidcc-rp-initiated-logout-no-params (RP-Initiated Logout 2)', (_t: string) => ({})],
      ['oidcc-rp-initiated-logout-only-state (RP-Initiated Logout 2)', (_t: string) => ({ state: 'st' })],
      ['oidcc-rp-initiated-logout-no-post-logout-redirect-uri (RP-Initiated Logout 2, 3)', (t: string) => ({ id_token_hint: t, state: 'st' })],
    ])('%s: the user is signed out and shown the OP\'s "signed out" page, not sent to the app', async (_module, paramsOf) => {
      const { tokens, browser } = await signedIn(rp);
      const end = await endSession(browser, rp, paramsOf(tokens.id_token!));
      expect(end.redirects.filter((u) => u.startsWith(rp.postLogoutRedirectUri))).toEqual([]);
      expect(end).toMatchObject({ at: 'page', status: 200 });
      await expectSignedOut(browser);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // ---------------------------------------------------------------------------------------------
  describe('Back-Channel Logout 1.0', () => {
    const receiver = new LogoutReceiver();
    let bc: Rp;
    let bc2: Rp;
    beforeAll(async () => {
      await receiver.start();
      bc = await register('conformance-bc', { firstParty: true, backchannelLogoutUri: receiver.uri('/bc') });
      bc2 = await register('conformance-bc2', { firstParty: true, backchannelLogoutUri: receiver.uri('/bc2') });
    });
    afterAll(async () => receiver.stop());

    /** Waits (bounded) until `path` received `count` Logout Tokens; they are delivered from a queue after the logout returns. */
    async function tokensAt(path: string, count: number) {
      for (let i = 0; i < 200 && receiver.to(path).length < count; i++) await new Promise((r) => setTimeout(r, 25));
      return receiver.to(path);
    }

    it('oidcc-backchannel-rp-initiated-logout-discovery-endpoint-verification (Back-Channel Logout 2.1): backchannel_logout_supported and backchannel_logout_session_supported are true', () => {
      expect(meta).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });
    });

    it('oidcc-backchannel-rp-initiated-logout (Back-Channel Logout 2.4, 2.5, 2.6): signing out at one app sends each app of the session a Logout Token by form POST, signed, typ logout+jwt, with iss, aud, iat, exp, jti, events, sub and the sid of its ID token, and no nonce', async () => {
      const browser = new Browser();
      const one = await signedIn(bc, {}, browser);
      const two = await signedIn(bc2, {}, browser);
      expect(one.idToken.sid).toEqual(expect.any(String));
      const [before1, before2] = [receiver.to('/bc').length, receiver.to('/bc2').length];
      // RP-initiated logout at the first app (the confirmation page confirmed).
      let res = await navigate(browser, `${String(meta.end_session_endpoint)}?${new URLSearchParams({ id_token_hint: one.tokens.id_token! })}`);
      const html = await res.text();
      const action = /id="op\.logoutForm"[^>]*action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
      res = await navigate(browser, new URL(action, String(meta.end_session_endpoint)).toString(), { method: 'POST', body: new URLSearchParams({ xsrf, logout: 'yes' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(res.status).toBeLessThan(400);

      for (const [path, r, signed, before] of [['/bc', bc, one, before1], ['/bc2', bc2, two, before2]] as const) {
        const got = (await tokensAt(path, before + 1)).slice(before);
        expect(got).toHaveLength(1);
        const t = got[0]!;
        expect(t.contentType).toMatch(/^application\/x-www-form-urlencoded/);
        expect(t.header).toMatchObject({ typ: 'logout+jwt', alg: 'RS256', kid: expect.any(String) });
        const { payload } = await jwtVerify(t.token, createLocalJWKSet(jwks.keys.some((k) => k.kid === t.header.kid) ? jwks : ((await (await fetch(String(meta.jwks_uri))).json()) as JSONWebKeySet)), { issuer, audience: r.id, typ: 'logout+jwt' });
        expect(payload).toMatchObject({ iss: issuer, aud: r.id, sub: signed.idToken.sub, sid: signed.idToken.sid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
        expect(payload).not.toHaveProperty('nonce');
        expect(typeof payload.iat).toBe('number');
        expect(typeof payload.jti).toBe('string');
        expect(payload.exp! - payload.iat!).toBeGreaterThan(0);
        expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(300);
      }
      // The session at the OP is gone too (the other app's refresh token no longer works).
      await expect(client.refreshTokenGrant(bc2.config, two.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it('oidcc-backchannel-rp-initiated-logout-no-redirect (Back-Channel Logout 2.5: the RP answers the POST itself): a redirect from the back-channel endpoint is not followed', async () => {
      receiver.answer('/bc', { status: 302, location: receiver.uri('/elsewhere') });
      try {
        const browser = new Browser();
        const one = await signedIn(bc, {}, browser);
        const before = receiver.requests.filter((r) => r.endsWith('/bc')).length;
        const res = await navigate(browser, `${String(meta.end_session_endpoint)}?${new URLSearchParams({ id_token_hint: one.tokens.id_token! })}`);
        const html = await res.text();
        const action = /id="op\.logoutForm"[^>]*action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
        const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
        await navigate(browser, new URL(action, String(meta.end_session_endpoint)).toString(), { method: 'POST', body: new URLSearchParams({ xsrf, logout: 'yes' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        for (let i = 0; i < 200 && receiver.requests.filter((r) => r.endsWith('/bc')).length === before; i++) await new Promise((r) => setTimeout(r, 25));
        expect(receiver.requests.filter((r) => r.endsWith('/bc')).length).toBeGreaterThan(before);
        expect(receiver.requests.filter((r) => r.endsWith('/elsewhere'))).toEqual([]);
      } finally {
        receiver.answer('/bc', { status: 200 });
      }
    });
  });
});
