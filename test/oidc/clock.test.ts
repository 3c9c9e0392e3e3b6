import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { oidcWorld, type OidcWorld } from './setup.js';

// Token caps are computed on the same injected clock as the access decision: moving the clock
// moves them, with no Redis record rewritten.
describe('support token lifetimes follow the gateway clock', () => {
  let world: OidcWorld;
  let acme: RelyingParty;
  let offset = 0;
  const clock = { now: () => Date.now() + offset };

  beforeAll(async () => {
    world = await oidcWorld('oidc-clock', {}, clock);
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
  }, 30_000);
  afterAll(async () => world.stop());

  it('a one-hour request with ten minutes left (by the clock) gives tokens of ten minutes', async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'john', hours: 1 });
    offset = 50 * 60_000;
    const login = await signIn(acme, 'jill$john', 'jill-secret-pw');
    if (!login.ok) throw new Error(login.error);
    expect(login.tokens.expires_in).toBeGreaterThan(590);
    expect(login.tokens.expires_in).toBeLessThanOrEqual(600);
    const claims = login.tokens.claims()!;
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(600);
    // And past the end by the clock, the same session's token is no longer usable.
    offset = 61 * 60_000;
    const { tokenIntrospection } = await import('openid-client');
    expect((await tokenIntrospection(acme.config, login.tokens.access_token)).active).toBe(false);
  });
});
