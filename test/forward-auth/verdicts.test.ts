import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { relyingParty, signIn } from '../../bench/oidc-client.js';
import type { OidcWorld } from '../oidc/setup.js';
import { forwardAuthWorld, SHOP_HOST } from './world.js';

/**
 * Forward-auth remembers a bearer token it accepted and re-checks it in one round trip (see
 * src/http/api/verified-tokens.ts). Every way a token dies must still refuse it at once on that
 * path: each case warms the verdict (the hit count proves the second decision used it), changes
 * one thing, and expects the next decision to be 401.
 */
describe('forward-auth verdicts of bearer tokens', () => {
  let world: OidcWorld;
  let n = 0;

  beforeAll(async () => {
    ({ world } = await forwardAuthWorld('forward-auth-verdicts'));
  }, 60_000);
  afterAll(async () => {
    await world?.stop();
  });

  const verify = (token: string) =>
    fetch(`${world.url}/auth/verify`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/orders', 'x-forwarded-host': SHOP_HOST } });
  const hits = () => world.gateway.forwardAuthVerdicts.hits;

  /** A fresh token of shop's issuer, through a client of its own (for revocation), already held as a verdict. */
  async function heldToken(username: string, password: string) {
    const clientId = `verdicts-${++n}`;
    const redirectUri = world.clients.acme!.redirectUri.replace('/acme/', '/shop/');
    const { clientSecret } = await world.ops.createClient({ tenant: 'shop', clientId, redirectUris: [redirectUri], firstParty: true });
    const rp = await relyingParty(world.issuer('shop'), clientId, clientSecret!, redirectUri);
    const r = await signIn(rp, username, password);
    if (!r.ok) throw new Error(`${username}: ${r.error}`);
    const token = r.tokens.access_token;
    expect((await verify(token)).status).toBe(200); // the full path: remembered
    const before = hits();
    expect((await verify(token)).status).toBe(200); // answered from the verdict
    expect(hits()).toBe(before + 1);
    return { token, rp };
  }

  it('a revoked token is refused at once', async () => {
    const { token, rp } = await heldToken('john', 'john-secret-pw');
    await client.tokenRevocation(rp.config, token);
    expect((await verify(token)).status).toBe(401);
  });

  it('a disabled user, and a user enabled again, is decided afresh', async () => {
    const { token } = await heldToken('john', 'john-secret-pw');
    await world.ops.setUser({ tenant: 'shop', username: 'john', enabled: false });
    expect((await verify(token)).status).toBe(401);
    await world.ops.setUser({ tenant: 'shop', username: 'john', enabled: true });
  });

  it("the support user's password changed: the support token is refused", async () => {
    const { token } = await heldToken('jill$john', 'jill-secret-pw');
    await world.ops.setUser({ tenant: 'management', username: 'jill', password: 'jill-secret-pw-2' });
    expect((await verify(token)).status).toBe(401);
    await world.ops.setUser({ tenant: 'management', username: 'jill', password: 'jill-secret-pw' });
  });

  it('support closed by the tenant admin: the support token is refused, the ordinary one still passes', async () => {
    const ordinary = await heldToken('john', 'john-secret-pw');
    const support = await heldToken('jill$john', 'jill-secret-pw');
    await world.ops.closeSupport({ tenant: 'shop', username: 'admin' });
    expect((await verify(support.token)).status).toBe(401);
    expect((await verify(ordinary.token)).status).toBe(200);
    await world.ops.openSupport({ tenant: 'shop', username: 'admin', reason: 'verdict tests' });
  });

  it('a tenant suspended, even once resumed: every token issued before is refused', async () => {
    const { token } = await heldToken('john', 'john-secret-pw');
    await world.ops.suspendTenant('shop');
    await world.ops.resumeTenant('shop');
    expect((await verify(token)).status).toBe(401);
  });
});
