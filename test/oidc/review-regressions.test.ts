import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import * as client from 'openid-client';
import { Browser, relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { queryPage } from '../../src/audit/query.js';
import { RedisSupportSessionStore } from '../../src/support-access/redis-support-session-store.js';
import { setUser } from '../../src/users/users.js';
import { startRedisProcess, type RedisProcess } from '../support/redis-server.js';
import { BrowserAt, postLogin, openLoginForm } from './from-address.js';
import { oidcWorld, type OidcWorld } from './setup.js';

// Regressions for what a review of the issue-8 fixes found, each through the real endpoints.

type Tokens = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
type Flow = { ok: true; tokens: Tokens } | { ok: false; error: string };

/** The code flow as a browser goes through it, filling the login and consent forms it is shown. */
async function authorize(rp: RelyingParty, browser: Browser, opts: { login?: { username: string; password: string }; prompt?: string; beforeConsent?: () => Promise<void> } = {}): Promise<Flow> {
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(rp.config, { redirect_uri: rp.redirectUri, scope: 'openid profile', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...(opts.prompt ? { prompt: opts.prompt } : {}) });
  let step = await browser.follow(url.toString(), rp.redirectUri);
  for (let i = 0; i < 4 && !step.url.startsWith(rp.redirectUri); i++) {
    const html = await step.res.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !csrf) return { ok: false, error: `page ${step.res.status}` };
    const login = action.endsWith('/login');
    if (login && !opts.login) return { ok: false, error: 'login form shown' };
    if (!login) await opts.beforeConsent?.();
    const body = login ? new URLSearchParams({ csrf, tenant: '', ...opts.login! }) : new URLSearchParams({ csrf, decision: 'allow' });
    step = await browser.follow(new URL(action.replace(/&amp;/g, '&'), step.url).toString(), rp.redirectUri, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }
  if (!step.url.startsWith(rp.redirectUri)) return { ok: false, error: `ended on a page (${step.res.status})` };
  const error = new URL(step.url).searchParams.get('error');
  if (error) return { ok: false, error };
  return { ok: true, tokens: await client.authorizationCodeGrant(rp.config, new URL(step.url), { pkceCodeVerifier: verifier }) };
}

const JILL = { username: 'jill$john', password: 'jill-secret-pw' };

describe('support sessions after the review', () => {
  let world: OidcWorld;
  let acme: RelyingParty;
  let thirdParty: RelyingParty;
  let n = 0;

  beforeAll(async () => {
    world = await oidcWorld('oidc-review');
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
    const redirectUri = world.clients.acme!.redirectUri.replace('/callback', '/third-party');
    const { clientSecret } = await world.ops.createClient({ tenant: 'acme', clientId: 'third-party', redirectUris: [redirectUri] });
    thirdParty = await relyingParty(world.issuer('acme'), 'third-party', clientSecret!, redirectUri);
    await world.ops.openSupport({ tenant: 'acme', username: 'john', hours: 4 });
  }, 30_000);
  afterAll(async () => world.stop());

  const newJillPassword = async () => {
    const password = `jill-new-password-${++n}`;
    await world.ops.setUser({ tenant: 'management', username: 'jill', password });
    JILL.password = password;
  };
  const entries = async (filter: Record<string, string>) => {
    const d = world.gateway.domain;
    return (await queryPage({ audit: d.auditStore, tenants: d.tenants, users: d.users }, filter, 50)).entries;
  };

  it('a support login whose browser comes back after the support user changed password gets no code', async () => {
    const browser = new Browser();
    const form = await openLoginForm(acme, browser);
    const posted = await browser.request(form.action, { method: 'POST', body: new URLSearchParams({ csrf: form.csrf, tenant: '', ...JILL }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(posted.status).toBe(303);
    const resume = new URL(posted.headers.get('location')!, form.action).toString();
    await newJillPassword();
    const done = await browser.follow(resume, acme.redirectUri);
    expect(done.url.startsWith(acme.redirectUri) && new URL(done.url).searchParams.has('code')).toBe(false);
  });

  it('nor when the password changes while she is on a consent page, even if no gateway heard of it', async () => {
    // Changed in the store only: no event reaches any gateway (they were down, say).
    const changeQuietly = async () => {
      JILL.password = `jill-new-password-${++n}`;
      await setUser(world.gateway.domain, { tenant: 'management', username: 'jill', password: JILL.password });
    };
    const result = await authorize(thirdParty, new Browser(), { login: JILL, beforeConsent: changeQuietly });
    expect(result.ok).toBe(false);
  });

  it("john's own session, then jill$john in the same browser: john's tokens never become support tokens", async () => {
    const browser = new Browser();
    const john = await authorize(acme, browser, { login: { username: 'john', password: 'john-secret-pw' } });
    if (!john.ok) throw new Error(john.error);
    const jill = await authorize(acme, browser, { login: JILL, prompt: 'login' });
    if (!jill.ok) throw new Error(jill.error);
    expect(jill.tokens.claims()).toHaveProperty('act');
    // The browser's session now belongs to jill$john, on a grant of its own: john's session-bound
    // tokens end with his part of it, and none of them is ever stamped as jill's.
    await expect(client.refreshTokenGrant(acme.config, john.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(acme.config, john.tokens.access_token)).act).toBeUndefined();
    try {
      await world.ops.closeSupport({ tenant: 'acme', username: 'admin' });
      const start = Date.now();
      while ((await client.tokenIntrospection(acme.config, jill.tokens.access_token)).active && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 20));
      expect((await client.tokenIntrospection(acme.config, jill.tokens.access_token)).active).toBe(false);
      let ended = await entries({ tenant: 'acme', action: 'session.ended' });
      for (let i = 0; i < 100 && ended.length === 0; i++) ended = (await new Promise((r) => setTimeout(r, 20)), await entries({ tenant: 'acme', action: 'session.ended' }));
      expect(ended[0]).toMatchObject({ who: 'jill$john', subject: { name: 'john' } });
    } finally {
      await world.ops.openSupport({ tenant: 'acme', username: 'john', hours: 4 });
    }
  });

  it('a consent given in a support session is recorded as jill$john even after its mark went missing', async () => {
    const browser = new Browser();
    const first = await authorize(acme, browser, { login: JILL });
    if (!first.ok) throw new Error(first.error);
    // The mark goes (evicted, say); the stored session still carries its own stamp.
    const store = new RedisSupportSessionStore(world.gateway.redis, world.config.redis.prefix);
    for (const uid of await store.inTenant('acme')) await store.remove('acme', uid);
    const consented = await authorize(thirdParty, browser);
    if (!consented.ok) throw new Error(consented.error);
    expect(consented.tokens.claims()).toHaveProperty('act');
    const [entry] = await entries({ tenant: 'acme', action: 'consent.granted' });
    expect(entry).toMatchObject({ who: 'jill$john', outcome: 'success' });
  });

  it('the secret in the body is refused however the endpoint path is written, and at every endpoint taking client credentials', async () => {
    const john = await signIn(acme, 'john', 'john-secret-pw');
    if (!john.ok) throw new Error(john.error);
    const { id, secret } = world.clients.acme!;
    for (const path of ['TOKEN/INTROSPECTION', 'token/introspection/', 'Token', 'request']) {
      const res = await fetch(`${world.issuer('acme')}/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: id, client_secret: secret, token: john.tokens.access_token, grant_type: 'refresh_token', refresh_token: john.tokens.refresh_token!, response_type: 'code', redirect_uri: acme.redirectUri, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }),
      });
      expect({ path, status: res.status, error: ((await res.json()) as { error?: string }).error }).toEqual({ path, status: 401, error: 'invalid_client' });
    }
  });
});

describe('sign-in limits after the review', () => {
  let world: OidcWorld;
  let acme: RelyingParty;

  beforeAll(async () => {
    world = await oidcWorld('oidc-review-limits', { TRUST_PROXY: 'loopback', LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS: '1000', LOGIN_MAX_FAILURES_PER_ADDRESS: '1000', LOGIN_MAX_FAILURES_PER_ACCOUNT: '6' });
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
  }, 30_000);
  afterAll(async () => world.stop());

  it('never more than 100 consecutive failures per account, even from a known address; strangers alone cannot get there', async () => {
    const home = '10.9.0.1';
    expect((await signIn(acme, 'john', 'john-secret-pw', { browser: new BrowserAt(home) })).ok).toBe(true);
    const browser = new Browser();
    const form = await openLoginForm(acme, browser);
    const tally = (rs: { status: number }[]) => ({ verified: rs.filter((r) => r.status === 401).length, refused: rs.filter((r) => r.status === 429).length });
    const strangers = await Promise.all(Array.from({ length: 30 }, (_, i) => postLogin(browser, form, { tenant: 'acme', username: 'john', password: `guess-${i}` }, `10.9.1.${i}`)));
    expect(tally(strangers)).toEqual({ verified: 6, refused: 24 });
    const fromHome = await Promise.all(Array.from({ length: 120 }, (_, i) => postLogin(browser, form, { tenant: 'acme', username: 'john', password: `home-guess-${i}` }, home)));
    expect(tally(fromHome)).toEqual({ verified: 94, refused: 26 });
    expect(await postLogin(browser, form, { tenant: 'acme', username: 'john', password: 'john-secret-pw' }, home)).toMatchObject({ status: 429 });
  }, 60_000);
});

describe('the client-auth check when Redis does not answer', () => {
  let redis: RedisProcess;
  let admin: Redis;
  let world: OidcWorld;

  beforeAll(async () => {
    redis = await startRedisProcess();
    admin = new Redis(redis.url);
    world = await oidcWorld('oidc-review-fault', { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '300' });
  }, 30_000);
  afterAll(async () => {
    await world.stop();
    await admin.quit();
    await redis.stop();
  });

  it('answers a token request with the standard 503, not a bare 500', async () => {
    const { id, secret } = world.clients.acme!;
    // Once with the tenant already known to this gateway (the client check is the first read), once cold.
    await fetch(`${world.issuer('acme')}/.well-known/openid-configuration`);
    await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
    const res = await fetch(`${world.issuer('acme')}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'whatever' }),
    });
    expect({ status: res.status, body: (await res.json()) as unknown }).toEqual({ status: 503, body: { error: 'temporarily_unavailable', error_description: 'The data store is unavailable' } });
    await new Promise((r) => setTimeout(r, 1600));
  });
});
