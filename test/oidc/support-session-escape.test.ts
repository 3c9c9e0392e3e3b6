import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { Browser, relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { operatorAdmin } from '../../src/admin/index.js';
import { oidcWorld, type OidcWorld } from './setup.js';

// Regression for the attack in issue 8: a support login whose access was extended while it ran
// must stay a support session (act, audited as jill$john) for as long as it lives, and end when
// the access is withdrawn — whatever re-saved the session in between.

type Silent = { ok: true; tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers } | { ok: false; error: string };

/** A silent re-authentication (prompt=none) with the browser's session cookie. */
async function silentSignIn(rp: RelyingParty, browser: Browser): Promise<Silent> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(rp.config, {
    redirect_uri: rp.redirectUri,
    scope: 'openid profile',
    prompt: 'none',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const step = await browser.follow(url.toString(), rp.redirectUri);
  if (!step.url.startsWith(rp.redirectUri)) return { ok: false, error: `no redirect (status ${step.res.status})` };
  const error = new URL(step.url).searchParams.get('error');
  if (error) return { ok: false, error };
  return { ok: true, tokens: await client.authorizationCodeGrant(rp.config, new URL(step.url), { pkceCodeVerifier: verifier, expectedState: state }) };
}

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

describe('a support session whose access was extended while it ran', () => {
  let world: OidcWorld;
  const WINDOW_MS = 2500;
  const CASES = ['esc-a', 'esc-b', 'esc-c', 'esc-d'] as const;
  // Each case has a tenant of its own, so no window of an earlier case moves a later one's end.
  const apps: Record<string, RelyingParty> = {};

  beforeAll(async () => {
    world = await oidcWorld('oidc-escape');
    await world.ops.setUser({ tenant: 'management', username: 'jill', scope: ['*'] });
    for (const tenant of CASES) {
      await world.ops.createTenant({ id: tenant });
      await world.ops.createUser({ tenant, username: 'john', password: 'john-secret-pw' });
      await world.ops.createUser({ tenant, username: 'admin', password: 'admin-secret-pw', roles: ['tenant-admin'] });
      const redirectUri = world.clients.acme!.redirectUri.replace('/acme/', `/${tenant}/`);
      const { clientSecret } = await world.ops.createClient({ tenant, clientId: 'app', redirectUris: [redirectUri], firstParty: true });
      apps[tenant] = await relyingParty(world.issuer(tenant), 'app', clientSecret!, redirectUri);
    }
  }, 30_000);
  afterAll(async () => world.stop());

  const entries = async (filter: Record<string, string>) => {
    const { queryPage } = await import('../../src/audit/query.js');
    const d = world.gateway.domain;
    return (await queryPage({ audit: d.auditStore, tenants: d.tenants, users: d.users }, filter, 50)).entries;
  };


  /** Access that ends WINDOW_MS from now, given either by a request or by global access. */
  const shortAccess = {
    request: async (tenant: string) => {
      // A one-hour request opened an hour ago, less WINDOW_MS: the window ends WINDOW_MS from now.
      const earlier = operatorAdmin({ ...world.gateway.domain, clock: { now: () => Date.now() - 3_600_000 + WINDOW_MS } }, { who: 'cli:test', actor: null, channel: 'cli' });
      await earlier.openSupport({ tenant, username: 'john', hours: 1 });
    },
    global: async (_tenant: string) => world.ops.setSetting('support.globalAccess', new Date(Date.now() + WINDOW_MS).toISOString()),
  };
  const extend = {
    request: async (tenant: string) => void (await world.ops.openSupport({ tenant, username: 'admin', hours: 2 })),
    global: async (_tenant: string) => world.ops.setSetting('support.globalAccess', new Date(Date.now() + 600_000).toISOString()),
  };
  const withdraw = {
    request: async (tenant: string) => void (await world.ops.closeSupport({ tenant, username: 'admin' })),
    global: async (_tenant: string) => world.ops.setSetting('support.globalAccess', 'false'),
  };
  /** What re-saves the provider's session with the extended lifetime. */
  const resave = {
    'prompt=none': async (rp: RelyingParty, browser: Browser) => {
      const r = await silentSignIn(rp, browser);
      if (!r.ok) throw new Error(`silent sign-in after the extension failed: ${r.error}`);
      expect(r.tokens.claims()).toHaveProperty('act');
    },
    'session end': async (rp: RelyingParty, browser: Browser) => {
      const res = await browser.request(rp.config.serverMetadata().end_session_endpoint!);
      expect(res.status).toBe(200);
    },
  };

  describe.each([
    ['a second request', 'prompt=none', 'request', 'esc-a'],
    ['a second request', 'session end', 'request', 'esc-b'],
    ['global access moved later', 'prompt=none', 'global', 'esc-c'],
    ['global access moved later', 'session end', 'global', 'esc-d'],
  ] as const)('extended by %s, session re-saved by %s', (_label, how, kind, tenant) => {
    it('stays jill$john (act) after the original end, never becomes john, and ends everything when access is withdrawn', async () => {
      const acme = apps[tenant]!;
      await world.ops.setSetting('support.globalAccess', 'false');
      await shortAccess[kind](tenant);
      const originalEnd = Date.now() + WINDOW_MS;
      const login = await signIn(acme, 'jill$john', 'jill-secret-pw');
      if (!login.ok) throw new Error(login.error);
      expect(login.tokens.claims()).toHaveProperty('act');
      expect(login.tokens.claims()!.exp! * 1000).toBeLessThanOrEqual(originalEnd + 1000);

      await extend[kind](tenant);
      await resave[how](acme, login.browser);
      // Past the access the login was given: whatever marked the session then has had time to lapse.
      await sleepUntil(originalEnd + 1200);

      const again = await silentSignIn(acme, login.browser);
      const [issued] = await entries({ tenant, action: 'token.issued' });
      if (how === 'session end') {
        // The logout page checked no access, so it could not extend the session: the session
        // ended when the access it was last given did — it did not carry on as john's.
        expect(again).toEqual({ ok: false, error: 'login_required' });
        expect(issued).toMatchObject({ who: 'jill$john' });
      } else {
        // Re-checked at the silent sign-in, the session lives on with the extended access, as support.
        if (!again.ok) throw new Error(`silent sign-in while access is extended failed: ${again.error}`);
        const claims = again.tokens.claims()!;
        expect(claims).toMatchObject({ preferred_username: 'john', act: { preferred_username: 'jill', tenant: 'management' } });
        const introspected = await client.tokenIntrospection(acme.config, again.tokens.access_token);
        expect(introspected).toMatchObject({ active: true, act: { preferred_username: 'jill' } });
        expect(issued).toMatchObject({ who: 'jill$john', actor: { name: 'jill' } });
      }

      await withdraw[kind](tenant);
      const tokens = again.ok ? [again.tokens, login.tokens] : [login.tokens];
      const start = Date.now();
      while ((await client.tokenIntrospection(acme.config, tokens[0]!.access_token)).active && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 20));
      for (const t of tokens) {
        expect((await client.tokenIntrospection(acme.config, t.access_token)).active).toBe(false);
        await expect(client.refreshTokenGrant(acme.config, t.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
        const userinfo = await fetch(acme.config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${t.access_token}` } });
        expect(userinfo.status).toBe(401);
      }
      // The browser's session is over: a silent sign-in gets no code, ordinary or otherwise.
      expect(await silentSignIn(acme, login.browser)).toEqual({ ok: false, error: 'login_required' });
      expect((await entries({ tenant, who: 'john' })).filter((e) => !e.action.startsWith('support.'))).toEqual([]);
    }, 20_000);
  });
});
