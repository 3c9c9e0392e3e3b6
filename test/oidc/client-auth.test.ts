import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { oidcWorld, type OidcWorld } from './setup.js';

// A confidential client is registered for client_secret_basic: the secret in the form body
// (client_secret_post) is refused, at every endpoint where a client authenticates.
describe('client authentication as registered', () => {
  let world: OidcWorld;
  let acme: RelyingParty;

  beforeAll(async () => {
    world = await oidcWorld('oidc-client-auth');
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
  }, 30_000);
  afterAll(async () => world.stop());

  it('refuses the secret in the body (client_secret_post) at the token, introspection and revocation endpoints', async () => {
    const login = await signIn(acme, 'john', 'john-secret-pw');
    if (!login.ok) throw new Error(login.error);
    const { id, secret } = world.clients.acme!;
    const meta = acme.config.serverMetadata();
    const post = (url: string, params: Record<string, string>) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: id, client_secret: secret, ...params }) });
    for (const [url, params] of [
      [meta.token_endpoint!, { grant_type: 'refresh_token', refresh_token: login.tokens.refresh_token! }],
      [meta.introspection_endpoint!, { token: login.tokens.access_token }],
      [meta.revocation_endpoint!, { token: login.tokens.access_token }],
    ] as const) {
      const res = await post(url, params);
      expect({ url, status: res.status, error: ((await res.json()) as { error?: string }).error }).toEqual({ url, status: 401, error: 'invalid_client' });
    }
    // Nothing was spent by the refusals: the same refresh token and access token still work with Basic.
    expect((await client.tokenIntrospection(acme.config, login.tokens.access_token)).active).toBe(true);
    await expect(client.refreshTokenGrant(acme.config, login.tokens.refresh_token!)).resolves.toHaveProperty('access_token');
  });

  it('a client registered for client_secret_post signs in with it, and is refused with Basic', async () => {
    const redirectUri = world.clients.acme!.redirectUri.replace('/callback', '/post-callback');
    const { clientSecret } = await world.ops.createClient({ tenant: 'acme', clientId: 'post-app', redirectUris: [redirectUri], firstParty: true, authMethod: 'client_secret_post' });
    const config = await client.discovery(new URL(world.issuer('acme')), 'post-app', clientSecret!, client.ClientSecretPost(clientSecret!), { execute: [client.allowInsecureRequests] });
    const login = await signIn({ config, redirectUri }, 'john', 'john-secret-pw');
    if (!login.ok) throw new Error(login.error);
    expect((await client.tokenIntrospection(config, login.tokens.access_token)).active).toBe(true);
    const basic = await relyingParty(world.issuer('acme'), 'post-app', clientSecret!, redirectUri);
    await expect(client.tokenIntrospection(basic.config, login.tokens.access_token)).rejects.toMatchObject({ status: 401 });
  });

  it('answers a token request without a length, or with a body shorter than its length, with a clear 4xx', async () => {
    const { id, secret } = world.clients.acme!;
    const url = new URL(acme.config.serverMetadata().token_endpoint!);
    const { request } = await import('node:http');
    const send = (headers: Record<string, string>, body: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, ...headers } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(body);
      });
    expect(await send({ 'transfer-encoding': 'chunked' }, 'grant_type=refresh_token&refresh_token=x')).toBe(411);
    expect(await send({ 'content-length': String(70_000) }, 'grant_type=x')).toBe(413);
  });
});
