import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { Browser, relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import type { AuditEntry } from '../../src/audit/entry.js';
import { startGateway, type Gateway } from '../../src/main.js';
import { operatorAdmin } from '../../src/admin/index.js';
import { dumpUnder, openDomain } from '../support/env.js';
import { untilInactive, usable, type Tokens } from './tokens.js';
import { oidcWorld, type OidcWorld } from './setup.js';

// Regressions for the defects the login attack found (issue 8), each through the real endpoints
// with openid-client as the tenant app, against a real gateway on real Redis.


const insecure = { execute: [client.allowInsecureRequests] };

function acmeApp(world: OidcWorld): Promise<RelyingParty> {
  return relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
}

async function signedIn(rp: RelyingParty, username: string, password: string, browser?: Browser): Promise<{ tokens: Tokens; browser: Browser }> {
  const r = await signIn(rp, username, password, browser ? { browser } : {});
  if (!r.ok) throw new Error(`${username} could not sign in: ${r.error}`);
  return { tokens: r.tokens, browser: r.browser };
}

async function auditOf(world: OidcWorld, action: string): Promise<AuditEntry[]> {
  const { queryPage } = await import('../../src/audit/query.js');
  const d = world.gateway.domain;
  return (await queryPage({ audit: d.auditStore, tenants: d.tenants, users: d.users }, { tenant: 'acme', action }, 200)).entries;
}

/** The entries of `action` recorded after the first `before`, newest first, waiting (at most 3 s) for one: events are recorded after the response. */
async function newAudit(world: OidcWorld, action: string, before: number): Promise<AuditEntry[]> {
  const start = Date.now();
  for (;;) {
    const all = await auditOf(world, action);
    if (all.length > before || Date.now() - start > 3000) return all.slice(0, all.length - before);
    await new Promise((r) => setTimeout(r, 20));
  }
}



describe("a token's introspection is answered only to its own client or a resource server of the tenant", () => {
  let world: OidcWorld;
  let acme: RelyingParty;
  let support: Tokens;

  beforeAll(async () => {
    world = await oidcWorld('oidc-attack-introspect');
    acme = await acmeApp(world);
    await world.ops.openSupport({ tenant: 'acme', username: 'john' });
    support = (await signedIn(acme, 'jill$john', 'jill-secret-pw')).tokens;
  }, 30_000);
  afterAll(async () => world.stop());

  it("a public app without a secret learns only active:false about another app's support token", async () => {
    const port = new URL(world.url).port;
    await world.ops.createClient({ tenant: 'acme', clientId: 'spa', redirectUris: [`http://localhost:${Number(port) + 1}/spa/callback`], public: true });
    const spa = await client.discovery(new URL(world.issuer('acme')), 'spa', {}, client.None(), insecure);
    const seen = await client.tokenIntrospection(spa, support.access_token);
    expect({ active: seen.active, sub: seen.sub, act: seen.act, scope: seen.scope }).toEqual({ active: false });
  });

  it("another confidential app of the tenant, with its own secret, learns only active:false", async () => {
    const port = new URL(world.url).port;
    const redirectUri = `http://localhost:${Number(port) + 1}/other/callback`;
    const { clientSecret } = await world.ops.createClient({ tenant: 'acme', clientId: 'other-app', redirectUris: [redirectUri] });
    const other = await relyingParty(world.issuer('acme'), 'other-app', clientSecret!, redirectUri);
    const seen = await client.tokenIntrospection(other.config, support.access_token);
    expect({ active: seen.active, sub: seen.sub, act: seen.act, scope: seen.scope }).toEqual({ active: false });
  });

  it('a resource server of the tenant, with its secret, sees the token active with who is acting', async () => {
    const { clientSecret } = await world.ops.createClient({ tenant: 'acme', clientId: 'api', redirectUris: [], resourceServer: true });
    const api = await client.discovery(new URL(world.issuer('acme')), 'api', clientSecret!, client.ClientSecretBasic(clientSecret!), insecure);
    const seen = await client.tokenIntrospection(api, support.access_token);
    expect(seen).toMatchObject({ active: true, sub: support.claims()!.sub, act: { preferred_username: 'jill', tenant: 'management' } });
  });

  it('a resource server with a wrong secret is refused', async () => {
    const api = await client.discovery(new URL(world.issuer('acme')), 'api', 'not-the-secret', client.ClientSecretBasic('not-the-secret'), insecure);
    await expect(client.tokenIntrospection(api, support.access_token)).rejects.toMatchObject({ status: 401 });
  });

  it('the app the token was issued to still sees it active', async () => {
    const seen = await client.tokenIntrospection(acme.config, support.access_token);
    expect(seen).toMatchObject({ active: true, sub: support.claims()!.sub, act: { preferred_username: 'jill' } });
  });
});

describe('signing out through the end-session page records who signed out and whose tokens were revoked', () => {
  let world: OidcWorld;
  let acme: RelyingParty;

  beforeAll(async () => {
    world = await oidcWorld('oidc-attack-logout');
    acme = await acmeApp(world);
    await world.ops.openSupport({ tenant: 'acme', username: 'john' });
  }, 30_000);
  afterAll(async () => world.stop());

  /** RP-initiated logout as a person does it: the app sends the browser to end_session, they press "Sign out". */
  async function signOut(tokens: Tokens, browser: Browser): Promise<void> {
    const endSession = client.buildEndSessionUrl(acme.config, { id_token_hint: tokens.id_token! });
    const confirm = await browser.request(endSession.toString());
    const html = await confirm.text();
    expect(confirm.status).toBe(200);
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(html)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !xsrf) throw new Error(`no logout form: ${html}`);
    const done = await browser.follow(new URL(action.replace(/&amp;/g, '&'), endSession).toString(), 'http://never.example/', {
      method: 'POST',
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(await done.res.text()).toContain('You are signed out of acme');
  }

  it('john signing out: logout and token.revoked name john as who, actor and subject', async () => {
    const { tokens, browser } = await signedIn(acme, 'john', 'john-secret-pw');
    const before = { logout: (await auditOf(world, 'logout')).length, revoked: (await auditOf(world, 'token.revoked')).length };
    await signOut(tokens, browser);
    const john = { type: 'user', name: 'john', tenant: 'acme' };
    expect(await newAudit(world, 'logout', before.logout)).toMatchObject([{ who: 'john', actor: john, subject: john }]);
    expect(await newAudit(world, 'token.revoked', before.revoked)).toMatchObject([{ who: 'john', actor: john, subject: john }]);
    expect((await client.tokenIntrospection(acme.config, tokens.access_token)).active).toBe(false);
  });

  it('jill$john signing out: logout and token.revoked name jill$john, actor jill, subject john', async () => {
    const { tokens, browser } = await signedIn(acme, 'jill$john', 'jill-secret-pw');
    const before = { logout: (await auditOf(world, 'logout')).length, revoked: (await auditOf(world, 'token.revoked')).length };
    await signOut(tokens, browser);
    const jill = { type: 'user', name: 'jill', tenant: 'management' };
    const john = { type: 'user', name: 'john', tenant: 'acme' };
    expect(await newAudit(world, 'logout', before.logout)).toMatchObject([{ who: 'jill$john', actor: jill, subject: john }]);
    expect(await newAudit(world, 'token.revoked', before.revoked)).toMatchObject([{ who: 'jill$john', actor: jill, subject: john }]);
    expect((await client.tokenIntrospection(acme.config, tokens.access_token)).active).toBe(false);
  });
});

/** The scripted browser, also noting the session cookie it is given and the codes it carries to the app. */
class WatchedBrowser extends Browser {
  readonly sessionIds: string[] = [];
  readonly codes: string[] = [];

  override async request(url: string, init: RequestInit = {}): Promise<Response> {
    const res = await super.request(url, init);
    for (const c of res.headers.getSetCookie()) {
      const m = /^sg_acme_session=([^;]+)/.exec(c);
      if (m) this.sessionIds.push(decodeURIComponent(m[1]!));
    }
    const location = res.headers.get('location');
    const code = location ? new URL(location, url).searchParams.get('code') : null;
    if (code) this.codes.push(code);
    return res;
  }
}

describe('Redis never holds a usable token, code or session id', () => {
  let world: OidcWorld;
  let acme: RelyingParty;

  beforeAll(async () => {
    world = await oidcWorld('oidc-attack-at-rest');
    acme = await acmeApp(world);
    await world.ops.openSupport({ tenant: 'acme', username: 'john' });
  }, 30_000);
  afterAll(async () => world.stop());

  it("after jill$john signs in and the app refreshes, a dump of the gateway's Redis contains none of their values", async () => {
    const browser = new WatchedBrowser();
    const { tokens } = await signedIn(acme, 'jill$john', 'jill-secret-pw', browser);
    const refreshed = await client.refreshTokenGrant(acme.config, tokens.refresh_token!);
    const secrets: Record<string, string | undefined> = {
      'authorization code': browser.codes[0],
      'session id': browser.sessionIds[0],
      'access token': tokens.access_token,
      'refresh token': tokens.refresh_token,
      'refreshed access token': refreshed.access_token,
      'refreshed refresh token': refreshed.refresh_token,
    };
    for (const [name, value] of Object.entries(secrets)) expect([name, typeof value === 'string' && value.length >= 20]).toEqual([name, true]);

    const dump = await dumpUnder(world.config.redis.prefix);
    // The dump is of this gateway's records: its tokens and session are in it, under some name.
    expect(dump).toMatch(/:oidc:AccessToken:/);
    expect(dump).toMatch(/:oidc:Session:/);
    const inClear = Object.fromEntries(Object.entries(secrets).map(([name, value]) => [name, dump.includes(value!)]));
    expect(inClear).toEqual({
      'authorization code': false,
      'session id': false,
      'access token': false,
      'refresh token': false,
      'refreshed access token': false,
      'refreshed refresh token': false,
    });
  });
});

describe("a support user's password change ends their running support sessions", () => {
  let world: OidcWorld;
  let acme: RelyingParty;
  let restarted: Gateway | undefined;

  beforeAll(async () => {
    world = await oidcWorld('oidc-attack-password');
    acme = await acmeApp(world);
    await world.ops.openSupport({ tenant: 'acme', username: 'john' });
  }, 30_000);
  afterAll(async () => {
    if (restarted) await restarted.stop();
    else await world.stop();
  });

  it("jill changing her password: jill$john's token stops working (introspection, refresh, userinfo), john's own does not", async () => {
    const support = (await signedIn(acme, 'jill$john', 'jill-secret-pw')).tokens;
    const john = (await signedIn(acme, 'john', 'john-secret-pw')).tokens;
    expect((await client.tokenIntrospection(acme.config, support.access_token)).active).toBe(true);
    const ended = (await auditOf(world, 'session.ended')).length;

    await world.ops.setUser({ tenant: 'management', username: 'jill', password: 'a-new-password-1' });
    await untilInactive(acme, support);
    expect(await usable(acme, support)).toEqual({ active: false, refresh: 'invalid_grant', userinfo: '401' });
    expect(await newAudit(world, 'session.ended', ended)).toMatchObject([{ who: 'jill$john', actor: { name: 'jill' }, subject: { name: 'john' } }]);
    expect(await usable(acme, john)).toMatchObject({ active: true, refresh: 'ok', userinfo: 'ok' });
  });

  it('a gateway that was down when the password changed still refuses the old support token on its first use', async () => {
    const support = (await signedIn(acme, 'jill$john', 'a-new-password-1')).tokens;
    expect((await client.tokenIntrospection(acme.config, support.access_token)).active).toBe(true);

    // No gateway is running to hear the change: it is made from another process's view of the store.
    await world.stop();
    const offline = await openDomain(world.config);
    try {
      await operatorAdmin(offline.domain, { who: 'cli:test', actor: null, channel: 'cli' }).setUser({ tenant: 'management', username: 'jill', password: 'another-password-2' });
    } finally {
      await offline.close();
    }
    restarted = await startGateway(world.config, { logger: world.gateway.logger });
    for (let i = 0; i < 100 && (await fetch(`${world.url}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));

    // Checked on use, not only on the event: inactive at once, without waiting.
    expect(await usable(acme, support)).toEqual({ active: false, refresh: 'invalid_grant', userinfo: '401' });
  });
});
