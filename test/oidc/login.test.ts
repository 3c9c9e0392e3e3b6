import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { relyingParty, signIn, type RelyingParty } from '../support/browser.js';
import { oidcWorld, type OidcWorld } from './setup.js';

describe('tenant login through the code + PKCE flow', () => {
  let world: OidcWorld;
  let acme: RelyingParty;

  beforeAll(async () => {
    world = await oidcWorld('oidc-login');
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
  }, 30_000);
  afterAll(async () => world.stop());

  it('john signs in; the ID token verifies against the JWKS and carries no act', async () => {
    const result = await signIn(acme, 'john', 'john-secret-pw');
    if (!result.ok) throw new Error(result.error);
    const claims = result.tokens.claims()!;
    expect(claims).toMatchObject({ iss: world.issuer('acme'), tenant: 'acme', preferred_username: 'john', amr: ['pwd'] });
    expect(claims).not.toHaveProperty('act');
    const john = await world.gateway.domain.users.findByUsername('acme', 'john');
    expect(claims.sub).toBe(john!.id);
    const userinfo = await client.fetchUserInfo(acme.config, result.tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({ sub: john!.id, preferred_username: 'john', tenant: 'acme' });
    expect(result.tokens.refresh_token).toBeDefined();
  });
});
