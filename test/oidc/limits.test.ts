import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { oidcWorld, type OidcWorld } from './setup.js';

describe('failed sign-ins are limited per account', () => {
  let world: OidcWorld;
  let acme: RelyingParty;
  beforeAll(async () => {
    world = await oidcWorld('oidc-limits', { LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', LOGIN_BLOCK_SECONDS: '600' });
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
  }, 30_000);
  afterAll(async () => world.stop());

  it('locks an account after its failures, even for the right password, and says for how long', async () => {
    for (let i = 0; i < 3; i++) expect(await signIn(acme, 'john', `wrong-${i}-password`)).toMatchObject({ ok: false, status: 401 });
    expect(await signIn(acme, 'john', 'john-secret-pw')).toMatchObject({ ok: false, status: 429, error: 'Too many failed sign-ins. Try again in 10 minutes.' });
    // An unknown account is counted the same way: nothing tells whether it exists.
    for (let i = 0; i < 3; i++) await signIn(acme, 'nobody', `wrong-${i}-password`);
    expect(await signIn(acme, 'nobody', 'anything-at-all')).toMatchObject({ status: 429 });
    expect((await signIn(acme, 'admin', 'admin-secret-pw')).ok).toBe(true);
  });

  it("counts a support user's failures across tenants and resets them on success", async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'admin' });
    await signIn(acme, 'jill$john', 'wrong-password-1');
    await signIn(acme, 'jill$admin', 'wrong-password-2');
    expect((await signIn(acme, 'jill$admin', 'jill-secret-pw')).ok).toBe(true);
    await signIn(acme, 'jill$john', 'wrong-password-3');
    await signIn(acme, 'jill$', 'wrong-password-4');
    expect((await signIn(acme, 'jill$', 'jill-secret-pw')).ok).toBe(true);
  });
});
