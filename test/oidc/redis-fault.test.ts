import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import * as client from 'openid-client';
import { relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { startRedisProcess, type RedisProcess } from '../support/redis-server.js';
import { oidcWorld, type OidcWorld } from './setup.js';

// A real write fault: the gateway's own Redis refuses writes (maxmemory reached, noeviction), so
// the audit entry of a token use cannot be written. The use is refused (fail closed) with a
// standard error and nothing of Redis in the answer.
describe('when Redis refuses writes', () => {
  let redis: RedisProcess;
  let admin: Redis;
  let world: OidcWorld;
  let acme: RelyingParty;

  beforeAll(async () => {
    redis = await startRedisProcess();
    admin = new Redis(redis.url);
    world = await oidcWorld('oidc-fault', { REDIS_URL: redis.url });
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
  }, 30_000);
  afterAll(async () => {
    await world.stop();
    await admin.quit();
    await redis.stop();
  });

  it('userinfo, refresh and sign-in are refused with a standard error that says nothing of Redis', async () => {
    const login = await signIn(acme, 'john', 'john-secret-pw');
    if (!login.ok) throw new Error(login.error);
    await admin.config('SET', 'maxmemory', '1');
    try {
      const userinfo = await fetch(acme.config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${login.tokens.access_token}` } });
      const userinfoBody = await userinfo.text();
      const token = await fetch(acme.config.serverMetadata().token_endpoint!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${world.clients.acme!.id}:${world.clients.acme!.secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: login.tokens.refresh_token! }),
      });
      const tokenBody = await token.text();
      // A new sign-in is sent back to the app with the authorization endpoint's standard error.
      const again = await signIn(acme, 'john', 'john-secret-pw').catch((e: unknown) => e as { error?: string; error_description?: string });
      expect(again).toMatchObject({ error: 'temporarily_unavailable', error_description: 'The data store is unavailable' });
      for (const body of [userinfoBody, tokenBody]) {
        expect(body).not.toMatch(/OOM|maxmemory|redis|ioredis|ReplyError|command/i);
      }
      expect({ status: userinfo.status, body: JSON.parse(userinfoBody) as unknown }).toEqual({
        status: 503,
        body: { error: 'temporarily_unavailable', error_description: 'The audit log cannot be written; the action was refused' },
      });
      expect({ status: token.status, body: JSON.parse(tokenBody) as unknown }).toEqual({
        status: 503,
        body: { error: 'temporarily_unavailable', error_description: 'The audit log cannot be written; the action was refused' },
      });
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    // Writable again: the same refresh token still works (nothing was consumed by the refusal).
    await expect(client.refreshTokenGrant(acme.config, login.tokens.refresh_token!)).resolves.toHaveProperty('access_token');
  }, 30_000);
});
