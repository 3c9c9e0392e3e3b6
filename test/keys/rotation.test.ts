import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import * as client from 'openid-client';
import { relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { oidcWorld, type OidcWorld } from '../oidc/setup.js';
import { cli } from '../support/cli.js';

const PUBLISH_AHEAD_SECONDS = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function jwks(world: OidcWorld, tenant: string): Promise<JSONWebKeySet> {
  return (await (await fetch(`${world.issuer(tenant)}/jwks`)).json()) as JSONWebKeySet;
}

const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid!;

async function login(rp: RelyingParty, opts: { browser?: Awaited<ReturnType<typeof signIn>>['browser'] } = {}) {
  const r = await signIn(rp, 'john', 'john-secret-pw', { scope: 'openid profile offline_access', ...(opts.browser ? { browser: opts.browser } : {}) });
  if (!r.ok) throw new Error(`login failed: ${r.error}`);
  return r;
}

/** The README's rotation steps (Key rotation), as an operator runs them, during a live session. */
describe('signing keys rotate without logging anybody out (issue 14)', () => {
  let world: OidcWorld;
  let acme: RelyingParty;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    world = await oidcWorld('keys-rotation');
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
    env = { NODE_ENV: 'test', PATH: process.env.PATH, REDIS_URL: world.config.redis.url, REDIS_PREFIX: world.config.redis.prefix, DATA_DIR: world.config.dataDir };
  });
  afterAll(async () => {
    await world.stop();
  });

  it("gives each new tenant keys of its own: acme's tokens verify against no other tenant's JWKS", async () => {
    const [a, b] = [await jwks(world, 'acme'), await jwks(world, 'beta')];
    const kids = new Set(a.keys.map((k) => k.kid));
    expect(b.keys.some((k) => kids.has(k.kid))).toBe(false);
    const { tokens } = await login(acme);
    await expect(jwtVerify(tokens.id_token!, createLocalJWKSet(a))).resolves.toBeTruthy();
    await expect(jwtVerify(tokens.id_token!, createLocalJWKSet(b))).rejects.toThrow(/no applicable key/i);
    // Published keys are public: no private part leaves the gateway.
    expect(JSON.stringify([a, b])).not.toMatch(/"(d|p|q|dp|dq|qi)":/);
  });

  it('tenants on the platform keys share one JWKS; a platform rotation reaches them and no tenant with keys of its own', async () => {
    expect((await cli(['tenant', 'create', 'gamma', '--platform-keys'], env)).code).toBe(0);
    expect((await cli(['tenant', 'create', 'delta', '--platform-keys'], env)).code).toBe(0);
    const [g, d, a] = [await jwks(world, 'gamma'), await jwks(world, 'delta'), await jwks(world, 'acme')];
    expect(g.keys.map((k) => k.kid).sort()).toEqual(d.keys.map((k) => k.kid).sort());

    const rotated = await cli(['--json', 'keys', 'rotate', '--publish-ahead', '600'], env);
    expect(rotated.code).toBe(0);
    const added = (JSON.parse(rotated.stdout) as { added: { kid: string }[] }).added.map((k) => k.kid);
    expect(added).toHaveLength(2);
    // Every gateway hears of it at once (keys.rotated); gamma publishes the new keys, acme does not.
    for (let i = 0; i < 50 && !(await jwks(world, 'gamma')).keys.some((k) => k.kid === added[0]); i++) await sleep(100);
    expect((await jwks(world, 'gamma')).keys.map((k) => k.kid)).toEqual(expect.arrayContaining([...g.keys.map((k) => k.kid), ...added]));
    expect((await jwks(world, 'acme')).keys.map((k) => k.kid).sort()).toEqual(a.keys.map((k) => k.kid).sort());
  });

  it("rotates acme's keys during a live session: published before they sign, old tokens, the session and the RP's JWKS cache keep working", async () => {
    // A relying party with a JWKS cache (jose's, as openid-client uses), filled before the rotation.
    // It keeps what it fetched for half the publish-ahead time (jose's default is 10 minutes, the
    // default publish-ahead's length): the rule the README gives is publish-ahead >= the RPs' cache time.
    const rpCache = createRemoteJWKSet(new URL(`${world.issuer('acme')}/jwks`), { cacheMaxAge: (PUBLISH_AHEAD_SECONDS * 1000) / 2, cooldownDuration: (PUBLISH_AHEAD_SECONDS * 1000) / 2 });
    const first = await login(acme);
    const oldKid = kidOf(first.tokens.id_token!);
    await jwtVerify(first.tokens.id_token!, rpCache);

    const rotated = await cli(['keys', 'rotate', '--tenant', 'acme', '--publish-ahead', String(PUBLISH_AHEAD_SECONDS)], env);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/rotated tenant acme's own keys: RS256 \S+, ES256 \S+ published now, signing from/);
    const newRs256 = /RS256 (\S+),/.exec(rotated.stdout)![1]!;

    // Published before it signs: the JWKS has the new key while tokens are still signed with the old one.
    for (let i = 0; i < 50 && !(await jwks(world, 'acme')).keys.some((k) => k.kid === newRs256); i++) await sleep(100);
    const beforeSigning = await jwks(world, 'acme');
    expect(beforeSigning.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newRs256]));
    const listed = await cli(['keys', 'list', '--tenant', 'acme'], env);
    expect(listed.stdout).toMatch(new RegExp(`${newRs256}\\s+RS256\\s+next`));
    const during = await login(acme);
    expect(kidOf(during.tokens.id_token!)).toBe(oldKid);

    const signsFrom = (JSON.parse((await cli(['--json', 'keys', 'list', '--tenant', 'acme'], env)).stdout) as { keys: { kid: string; signsFrom: number }[] }).keys.find((k) => k.kid === newRs256)!.signsFrom;
    await sleep(Math.max(0, signsFrom - Date.now()) + 100);
    // The session goes on: the browser's session signs in again without a password, and its
    // new ID token is signed with the new key, which the JWKS fetched before it signed holds.
    const again = await login(acme, { browser: first.browser });
    expect(kidOf(again.tokens.id_token!)).toBe(newRs256);
    await expect(jwtVerify(again.tokens.id_token!, createLocalJWKSet(beforeSigning))).resolves.toBeTruthy();
    expect((await cli(['keys', 'list', '--tenant', 'acme'], env)).stdout).toMatch(new RegExp(`${oldKid}\\s+RS256\\s+retiring`));

    // The RP's cache verifies old and new tokens alike; the old key is still published.
    await expect(jwtVerify(first.tokens.id_token!, rpCache)).resolves.toBeTruthy();
    await expect(jwtVerify(again.tokens.id_token!, rpCache)).resolves.toBeTruthy();
    expect((await jwks(world, 'acme')).keys.map((k) => k.kid)).toContain(oldKid);

    // Tokens issued before the rotation still work: userinfo, refresh, and logout with the old ID token as hint.
    const info = await client.fetchUserInfo(acme.config, first.tokens.access_token, first.tokens.claims()!.sub);
    expect(info.preferred_username).toBe('john');
    const refreshed = await client.refreshTokenGrant(acme.config, first.tokens.refresh_token!);
    expect(kidOf(refreshed.id_token!)).toBe(newRs256);
    const logout = await first.browser.request(`${world.issuer('acme')}/session/end?id_token_hint=${first.tokens.id_token}`);
    expect(logout.status).toBe(200);
    expect(await logout.text()).toMatch(/sign out|signed out|log out/i);
  });

  it('records the rotation in the audit log, without key material', async () => {
    const query = async (tenant: string) => {
      const r = await cli(['audit', 'query', '--format', 'jsonl', '--tenant', tenant, '--action', 'keys.rotated'], env);
      return r.stdout.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { who: string; details: Record<string, unknown> });
    };
    const acmeEntries = await query('acme');
    expect(acmeEntries).toHaveLength(1);
    expect(acmeEntries[0]!.who).toMatch(/^cli:/);
    expect(acmeEntries[0]!.details).toMatchObject({ scope: 'acme', added: [expect.stringMatching(/^RS256 /), expect.stringMatching(/^ES256 /)] });
    const platform = await query('management');
    expect(platform).toHaveLength(1);
    expect(platform[0]!.details).toMatchObject({ scope: 'platform' });
    expect(JSON.stringify([...acmeEntries, ...platform])).not.toMatch(/v1\.|"d":/);
  });

  it('refuses a keep shorter than the longest token lifetime, and an unknown tenant, with clear errors', async () => {
    const short = await cli(['keys', 'rotate', '--keep', '60'], env);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 3600/);
    // gamma signs with the platform's keys: rotating "its" keys would rotate every such tenant's, so it is asked for as that.
    const platformTenant = await cli(['keys', 'rotate', '--tenant', 'gamma'], env);
    expect(platformTenant.code).toBe(1);
    expect(platformTenant.stderr).toMatch(/tenant "gamma" signs with the platform's keys: rotate those .* with `keys rotate` \(no --tenant\)/);
    const unknown = await cli(['keys', 'rotate', '--tenant', 'nope'], env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/nope/);
  });
});
