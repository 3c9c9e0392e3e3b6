import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeProtectedHeader } from 'jose';
import * as client from 'openid-client';
import { Browser, relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startGateway, type Gateway } from '../../src/main.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { oidcWorld, type OidcWorld } from '../oidc/setup.js';
import { cli } from '../support/cli.js';

const secret = () => randomBytes(32).toString('base64url');

describe('SecretBox with several keys (CLIENT_SECRETS_KEY, newest first)', () => {
  const [k1, k2] = [secret(), secret()];

  it('seals with the newest, opens with any, and says which ones need resealing', () => {
    const old = new SecretBox([k1]).seal('the client secret');
    const both = new SecretBox([k2, k1]);
    expect(both.open(old)).toBe('the client secret');
    expect(both.sealedWithNewest(old)).toBe(false);
    const fresh = both.seal('the client secret');
    expect(both.sealedWithNewest(fresh)).toBe(true);
    expect(new SecretBox([k2]).open(fresh)).toBe('the client secret');
    // Dropping the old key before resealing would lose the secret: refused loudly, never a wrong value.
    expect(() => new SecretBox([k2]).open(old)).toThrow(/none of the configured keys \(CLIENT_SECRETS_KEY\)/);
  });
});

/**
 * The README's steps (Key rotation: cookie secrets and the secrets key) during a live session:
 * the new secret goes first on every gateway (a restart each), `keys reseal`, then the old one goes.
 */
describe('cookie secrets and the secrets key rotate without logging anybody out (issue 14)', () => {
  const [cookieA, cookieB, keyA, keyB] = [secret(), secret(), secret(), secret()];
  let world: OidcWorld;
  let gateway: Gateway;
  let acme: RelyingParty;
  let env: Record<string, string>;

  const restart = async (secrets: { cookies: string[]; keys: string[] }) => {
    await gateway.stop();
    const config = loadConfig({ env: { ...env, COOKIE_SECRETS: secrets.cookies.join(','), CLIENT_SECRETS_KEY: secrets.keys.join(',') } });
    gateway = await startGateway(config, { logger: createLogger({ logLevel: 'error', logFormat: 'json' }, new PassThrough()) });
    for (let i = 0; i < 100 && (await fetch(`${world.url}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
  };

  beforeAll(async () => {
    world = await oidcWorld('secrets-rotation', { COOKIE_SECRETS: cookieA, CLIENT_SECRETS_KEY: keyA });
    gateway = world.gateway;
    env = {
      NODE_ENV: 'test',
      PATH: process.env.PATH ?? '',
      REDIS_URL: world.config.redis.url,
      REDIS_PREFIX: world.config.redis.prefix,
      DATA_DIR: world.config.dataDir,
      PORT: new URL(world.url).port,
      PUBLIC_URL: world.url,
    };
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
  });
  afterAll(async () => {
    await gateway.stop();
  });

  it('keeps the browser session, the refresh token, a login form shown before, the client secret and the signing keys through both rotations', async () => {
    const first = await signIn(acme, 'john', 'john-secret-pw', { scope: 'openid profile offline_access' });
    if (!first.ok) throw new Error(first.error);
    const kid = decodeProtectedHeader(first.tokens.id_token!).kid;
    // Someone else has the login form open while the rotation happens.
    const pending = new Browser();
    const authUrl = client.buildAuthorizationUrl(acme.config, { redirect_uri: acme.redirectUri, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    const form = await pending.follow(authUrl.toString(), acme.redirectUri);
    const html = await form.res.text();
    const action = new URL(/action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&'), form.url).toString();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;

    // Step 1: the new cookie secret and the new secrets key go first on every gateway.
    await restart({ cookies: [cookieB, cookieA], keys: [keyB, keyA] });
    const posted = await pending.follow(action, acme.redirectUri, { method: 'POST', body: new URLSearchParams({ csrf, tenant: '', username: 'john', password: 'john-secret-pw' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(posted.url.startsWith(acme.redirectUri)).toBe(true);
    // The session cookie signed with the old secret still signs john in, without his password.
    const again = await signIn(acme, 'john', 'not his password: the session answers', { browser: first.browser });
    expect(again.ok).toBe(true);
    const refreshed = await client.refreshTokenGrant(acme.config, first.tokens.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();

    // Step 2: everything stored is sealed with the new key.
    const resealed = await cli(['--json', 'keys', 'reseal'], { ...env, COOKIE_SECRETS: [cookieB, cookieA].join(','), CLIENT_SECRETS_KEY: [keyB, keyA].join(',') });
    expect(resealed.code).toBe(0);
    const counts = JSON.parse(resealed.stdout) as { clientSecrets: number; signingKeys: number };
    // acme's and beta's apps; acme's own RS256 + ES256 keys at least (beta's if its issuer was used).
    expect(counts.clientSecrets).toBeGreaterThanOrEqual(2);
    expect(counts.signingKeys).toBeGreaterThanOrEqual(2);
    const twice = await cli(['--json', 'keys', 'reseal'], { ...env, CLIENT_SECRETS_KEY: [keyB, keyA].join(',') });
    expect(JSON.parse(twice.stdout)).toEqual({ clientSecrets: 0, signingKeys: 0 });

    // Step 3: the old ones go (for cookies, once the longest session has passed; here the
    // session was signed anew with the new secret at its last sign-in).
    await restart({ cookies: [cookieB], keys: [keyB] });
    const third = await signIn(acme, 'john', 'not his password either', { browser: first.browser, scope: 'openid profile offline_access' });
    if (!third.ok) throw new Error(third.error);
    // Same signing key (opened with the new secrets key), same client secret (the RP never changed it).
    expect(decodeProtectedHeader(third.tokens.id_token!).kid).toBe(kid);
    expect((await client.refreshTokenGrant(acme.config, third.tokens.refresh_token!)).access_token).toBeTruthy();
  });
});
