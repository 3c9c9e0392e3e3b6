import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { signIn, type Browser, type RelyingParty } from '../../bench/oidc-client.js';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../src/oidc/backchannel-logout.js';
import { backchannelWorld, pw, signOut, until, type BackchannelWorld } from './world.js';

/** Signs `username` in to `rp` (a fresh browser unless given); the tokens, the browser and the ID token's sid. */
async function login(rp: RelyingParty, username: string, password: string, browser?: Browser) {
  const r = await signIn(rp, username, password, browser ? { browser } : {});
  if (!r.ok) throw new Error(`${username}: ${r.error}`);
  const sid = r.tokens.claims()!.sid as string;
  return { tokens: r.tokens, browser: r.browser, sid, sub: r.tokens.claims()!.sub };
}

describe('back-channel logout: what the apps get when a session ends', () => {
  let world: BackchannelWorld;
  /** The Logout Token `path` got for `sid`, once it has arrived. */
  const tokenFor = (path: string, sid: string) => until(() => world.receiver.to(path).find((r) => r.claims.sid === sid), `a logout token at ${path} for sid ${sid}`);

  beforeAll(async () => {
    // Backoff as in production (each wait longer than the last), in milliseconds instead of minutes.
    world = await backchannelWorld('bcl', { gateway: { backchannelLogout: { retryDelaysMs: [50, 100, 200, 400, 800] } } });
    await world.ops.createTenant({ id: 'beta' });
  }, 30_000);
  afterAll(async () => world.stop());

  it('discovery advertises back-channel logout with sessions, and every ID token carries sid', async () => {
    const meta = world.apps.plain.config.serverMetadata();
    expect(meta).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });
    // sid even for an app that registered no back-channel URI (SPEC §4).
    const plain = await login(world.apps.plain, 'john', pw('john'));
    expect(typeof plain.sid).toBe('string');
    expect(plain.sid.length).toBeGreaterThan(10);
  });

  it('RP-initiated logout: the app gets a Logout Token (§2.4) signed by the issuer, with the ID token’s sid, typ logout+jwt and no nonce', async () => {
    const john = await login(world.apps.app1, 'john', pw('john'));
    const res = await signOut(world.apps.app1, john.browser, john.tokens.id_token!);
    expect(res.status).toBe(303);
    const got = await tokenFor('/app1', john.sid);
    expect(got.contentType).toBe('application/x-www-form-urlencoded');
    expect(got.header).toMatchObject({ typ: 'logout+jwt', alg: 'RS256' });
    const claims = await world.verify(got.token, 'app1');
    expect(claims).toMatchObject({ iss: world.issuer('acme'), aud: 'app1', sub: john.sub, sid: john.sid, events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } });
    expect(Object.keys(claims).sort()).toEqual(['aud', 'events', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub']);
    expect(claims).not.toHaveProperty('nonce');
    expect(claims.exp! - claims.iat!).toBe(120);
    // The attempt is on the record, in the tenant, under john's name; the token is not.
    const [delivered] = await until(async () => {
      const e = (await world.entries({ action: 'logout.delivered' })).filter((x) => x.details.sid === john.sid);
      return e.length > 0 && e;
    }, 'logout.delivered');
    expect(delivered).toMatchObject({ who: 'john', outcome: 'success', channel: 'system', clientId: 'app1', details: { client: 'app1', sid: john.sid, status: 200, attempt: 1 } });
    expect(JSON.stringify(delivered)).not.toContain(got.token);
  });

  it('single logout: john signed in to two apps signs out in one; the other gets its Logout Token and his session there is over', async () => {
    const first = await login(world.apps.app1, 'john', pw('john'));
    const second = await login(world.apps.app2, 'john', pw('john'), first.browser);
    expect(second.sid).not.toBe(first.sid); // one sid per app of the same session
    await signOut(world.apps.app1, first.browser, first.tokens.id_token!);
    const got = await tokenFor('/app2', second.sid);
    expect(await world.verify(got.token, 'app2')).toMatchObject({ aud: 'app2', sub: second.sub, sid: second.sid });
    expect((await client.tokenIntrospection(world.apps.app2.config, second.tokens.access_token)).active).toBe(false);
  });

  // Each way a support session ends, with what sets it off and what puts things back for the next case.
  const supportEnds: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
    ['the user closing his support request', () => world.ops.closeSupport({ tenant: 'acme', username: 'john' }), async () => undefined],
    ['a tenant admin closing support', () => world.ops.closeSupport({ tenant: 'acme', username: 'admin' }), async () => undefined],
    ['the support user being disabled', () => world.ops.setUser({ tenant: 'management', username: 'jill', enabled: false }), () => world.ops.setUser({ tenant: 'management', username: 'jill', enabled: true })],
    ['the tenant leaving the support user’s scope', () => world.ops.setUser({ tenant: 'management', username: 'jill', scope: ['beta'] }), () => world.ops.setUser({ tenant: 'management', username: 'jill', scope: ['acme'] })],
    ['the support role being removed', () => world.ops.setUser({ tenant: 'management', username: 'jill', roles: ['user'], scope: [] }), () => world.ops.setUser({ tenant: 'management', username: 'jill', roles: ['support'], scope: ['acme'] })],
    ['the support user’s password changing', () => world.ops.setUser({ tenant: 'management', username: 'jill', password: 'jill-new-secret-pw' }), () => world.ops.setUser({ tenant: 'management', username: 'jill', password: pw('jill') })],
    ['the target user being disabled', () => world.ops.setUser({ tenant: 'acme', username: 'john', enabled: false }), () => world.ops.setUser({ tenant: 'acme', username: 'john', enabled: true })],
  ];

  it.each(supportEnds)('jill$john’s apps get a Logout Token on %s', async (_label, end, restore) => {
    await world.ops.openSupport({ tenant: 'acme', username: 'john' });
    const one = await login(world.apps.app1, 'jill$john', pw('jill'));
    const two = await login(world.apps.app2, 'jill$john', pw('jill'), one.browser);
    await end();
    const [a, b] = await Promise.all([tokenFor('/app1', one.sid), tokenFor('/app2', two.sid)]);
    expect(await world.verify(a.token, 'app1')).toMatchObject({ sub: one.sub, sid: one.sid });
    expect(await world.verify(b.token, 'app2')).toMatchObject({ sub: two.sub, sid: two.sid });
    const entries = await until(async () => {
      const e = (await world.entries({ action: 'logout.delivered', who: 'jill$john' })).filter((x) => x.details.sid === one.sid || x.details.sid === two.sid);
      return e.length === 2 && e;
    }, 'two logout.delivered entries');
    expect(entries.map((e) => e.details.client).sort()).toEqual(['app1', 'app2']);
    expect(entries[0]).toMatchObject({ actor: { name: 'jill' }, subject: { name: 'john' }, channel: 'system' });
    await restore();
    await world.ops.closeSupport({ tenant: 'acme', username: 'admin' }).catch(() => undefined);
  });

  it('an app whose endpoint is down is retried with backoff and gets its token once it is back; every attempt is on the record', async () => {
    world.receiver.answer('/app2', { status: 503 }, { status: 503 }, { status: 204 });
    const john = await login(world.apps.app2, 'john', pw('john'));
    await signOut(world.apps.app2, john.browser, john.tokens.id_token!);
    const done = await until(async () => {
      const e = (await world.entries({ action: 'logout.delivered' })).find((x) => x.details.sid === john.sid);
      return e;
    }, 'delivery after the endpoint came back');
    const failed = (await world.entries({ action: 'logout.failed' })).filter((x) => x.details.sid === john.sid).reverse();
    expect(failed.map((e) => [e.details.attempt, e.details.status, e.cause, e.details.final])).toEqual([
      [1, 503, 'http-503', false],
      [2, 503, 'http-503', false],
    ]);
    expect(done).toMatchObject({ details: { attempt: 3, status: 204 } });
    expect(world.receiver.to('/app2').filter((r) => r.claims.sid === john.sid)).toHaveLength(3);
    world.receiver.answer('/app2', { status: 200 });
  });

  it('a redirect from the endpoint is not followed: the attempt fails', async () => {
    world.receiver.answer('/app1', { status: 302, location: world.receiver.uri('/elsewhere') }, { status: 200 });
    const john = await login(world.apps.app1, 'john', pw('john'));
    await signOut(world.apps.app1, john.browser, john.tokens.id_token!);
    const failed = await until(async () => (await world.entries({ action: 'logout.failed' })).find((x) => x.details.sid === john.sid), 'the failed attempt');
    expect(failed).toMatchObject({ cause: 'redirect-not-followed', details: { status: 302, attempt: 1 } });
    // Had the redirect been followed, the target would have had its request before the attempt ended.
    expect(world.receiver.requests).not.toContain('POST /elsewhere');
    // The retry (to the registered URI only) delivers.
    await until(async () => (await world.entries({ action: 'logout.delivered' })).find((x) => x.details.sid === john.sid), 'the retry');
    expect(world.receiver.requests.filter((r) => r.includes('/elsewhere'))).toEqual([]);
  });

  it('suspending the tenant sends every session’s apps their Logout Token, ordinary and support sessions alike', async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'john' });
    const john = await login(world.apps.app1, 'john', pw('john'));
    const jill = await login(world.apps.app2, 'jill$john', pw('jill'));
    await world.ops.suspendTenant('acme');
    await Promise.all([tokenFor('/app1', john.sid), tokenFor('/app2', jill.sid)]);
    const entries = await until(async () => {
      const e = (await world.entries({ action: 'logout.delivered' })).filter((x) => x.details.sid === john.sid || x.details.sid === jill.sid);
      return e.length === 2 && e;
    }, 'both deliveries recorded');
    expect(entries.map((e) => e.who).sort()).toEqual(['jill$john', 'john']);
    // Every process sweeping queues the same logouts: each is delivered once.
    expect(world.receiver.to('/app1').filter((r) => r.claims.sid === john.sid)).toHaveLength(1);
  });
});
