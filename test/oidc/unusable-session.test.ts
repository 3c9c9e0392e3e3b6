import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { relyingParty, signIn } from '../../bench/oidc-client.js';
import { oidcWorld, type OidcWorld } from './setup.js';

/**
 * A browser whose issuer session belongs to an account that may no longer sign in (disabled, or a
 * support session whose access ended before anything revoked the session) comes back for a new
 * sign-in: it gets the login page, never the provider's 500 "oops! something went wrong".
 */
describe('an issuer session whose account can no longer be used', () => {
  let world: OidcWorld;
  beforeAll(async () => {
    world = await oidcWorld('oidc-unusable-session');
  }, 30_000);
  afterAll(async () => {
    await world?.stop();
  });

  it('a disabled user’s browser is shown the login page again, and another user can sign in there', async () => {
    await world.ops.createUser({ tenant: 'acme', username: 'mia', password: 'mia-secret-pw' });
    const rp = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
    const first = await signIn(rp, 'mia', 'mia-secret-pw');
    expect(first.ok).toBe(true);
    await world.ops.setUser({ tenant: 'acme', username: 'mia', enabled: false });
    const again = await signIn(rp, 'john', 'john-secret-pw', { browser: first.browser });
    expect(again.ok ? 'signed in' : `${again.status} ${again.error}`).toBe('signed in');
    expect(again.ok && again.tokens.claims()?.preferred_username).toBe('john');
  }, 30_000);

  it('a support session whose access ended unnoticed (no event reached the gateway) gets the login page; john signs in there as himself', async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'admin', reason: 'unusable session test' });
    const rp = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
    const support = await signIn(rp, 'jill$john', 'jill-secret-pw');
    expect(support.ok && support.tokens.claims()?.act).toMatchObject({ preferred_username: 'jill' });
    // acme leaves jill's scope in the store itself: nothing publishes it, nothing revokes the session.
    const jill = (await world.gateway.domain.users.findByUsername('management', 'jill'))!;
    await world.gateway.domain.users.update('management', jill.id, (u) => ({ ...u, scope: ['beta'] }));
    try {
      const again = await signIn(rp, 'john', 'john-secret-pw', { browser: support.browser });
      expect(again.ok ? 'signed in' : `${again.status} ${again.error}`).toBe('signed in');
      expect(again.ok && again.tokens.claims()).toMatchObject({ preferred_username: 'john' });
      expect(again.ok && again.tokens.claims()?.act).toBeUndefined();
    } finally {
      await world.gateway.domain.users.update('management', jill.id, (u) => ({ ...u, scope: ['acme', 'beta'] }));
      await world.ops.closeSupport({ tenant: 'acme', username: 'admin' });
    }
  }, 30_000);
});
