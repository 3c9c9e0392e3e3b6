import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeProtectedHeader } from 'jose';
import * as client from 'openid-client';
import { relyingParty, signIn } from '../../bench/oidc-client.js';
import { oidcWorld, type OidcWorld } from './setup.js';

/**
 * A client may register ES256 for its ID tokens (cheaper for the issuer to sign); every other
 * client keeps RS256. openid-client checks the algorithm against the client's metadata and
 * verifies the signature with the issuer's JWKS.
 */
describe('ID token signing algorithm per client', () => {
  let world: OidcWorld;
  beforeAll(async () => {
    world = await oidcWorld('id-token-alg');
  }, 30_000);
  afterAll(async () => {
    await world?.stop();
  });

  /** A relying party that expects `alg` (openid-client refuses an ID token signed otherwise). */
  async function rpExpecting(clientId: string, secret: string, redirectUri: string, alg: string) {
    const rp = await relyingParty(world.issuer('acme'), clientId, secret, redirectUri);
    const config = await client.discovery(new URL(world.issuer('acme')), clientId, { client_secret: secret, id_token_signed_response_alg: alg }, client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });
    return { ...rp, config };
  }

  it('signs with ES256 for a client registered so, and with RS256 for the others', async () => {
    const redirectUri = world.clients.acme!.redirectUri;
    const { client: created, clientSecret } = await world.ops.createClient({ tenant: 'acme', clientId: 'acme-es', redirectUris: [redirectUri], firstParty: true, idTokenAlg: 'ES256' });
    expect(created.idTokenAlg).toBe('ES256');
    const es = await signIn(await rpExpecting('acme-es', clientSecret!, redirectUri, 'ES256'), 'john', 'john-secret-pw');
    if (!es.ok) throw new Error(es.error);
    expect(decodeProtectedHeader(es.tokens.id_token!).alg).toBe('ES256');
    expect(es.tokens.claims()).toMatchObject({ preferred_username: 'john', tenant: 'acme' });

    const rs = await signIn(await rpExpecting(world.clients.acme!.id, world.clients.acme!.secret, redirectUri, 'RS256'), 'john', 'john-secret-pw');
    if (!rs.ok) throw new Error(rs.error);
    expect(decodeProtectedHeader(rs.tokens.id_token!).alg).toBe('RS256');
  });

  it('refuses an algorithm it does not offer, with a clear message', async () => {
    await expect(world.ops.createClient({ tenant: 'acme', clientId: 'acme-hs', redirectUris: [world.clients.acme!.redirectUri], idTokenAlg: 'HS256' })).rejects.toThrow(/ID token algorithm must be RS256 or ES256/);
  });
});
