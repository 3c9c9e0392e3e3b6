import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { signIn } from '../../bench/oidc-client.js';
import { clusterWorld, password, type ClusterWorld } from './world.js';
import type { Exchange } from './traffic.js';

/**
 * The product as it runs in production: every request of these tests goes through nginx, which
 * hands each to the next of two gateways; all state is in a Redis Cluster with replicas.
 */
describe('two gateways behind nginx on a Redis Cluster with replicas', () => {
  let world: ClusterWorld;

  beforeAll(async () => {
    world = await clusterWorld('cluster-e2e');
  }, 120_000);
  afterAll(async () => world?.stop(), 30_000);

  /** What `fn` sent through nginx, in order. */
  async function exchangesOf<T>(fn: () => Promise<T>): Promise<{ result: T; legs: Exchange[] }> {
    const from = world.traffic.exchanges.length;
    const result = await fn();
    return { result, legs: world.traffic.exchanges.slice(from) };
  }
  const signedIn = async (rp: keyof ClusterWorld['rp'], username: string, address = world.traffic.newAddress()) => {
    const { result, legs } = await exchangesOf(() => world.traffic.as(address, () => signIn(world.rp[rp], username, password(username.replace(/\$.*/, '')))));
    if (!result.ok) throw new Error(`${username} could not sign in: ${result.error}`);
    return { tokens: result.tokens, legs, address };
  };

  it('an ordinary login works with each leg on the other gateway than the leg before, and the audit has the client address nginx forwarded', async () => {
    const { tokens, legs, address } = await signedIn('acme', 'john');
    expect(tokens.claims()).toMatchObject({ preferred_username: 'john', tenant: 'acme' });
    expect(tokens.claims()).not.toHaveProperty('act');
    // authorization, login page, login POST, resume, code exchange: every one on the other gateway.
    expect(legs.map((l) => `${l.method} ${l.path.replace(/\/(interaction|auth)\/[^/]+/, '/$1/:uid')} ${l.status}`)).toEqual([
      'GET /t/acme/auth 303',
      'GET /t/acme/interaction/:uid 200',
      'POST /t/acme/interaction/:uid/login 303',
      'GET /t/acme/auth/:uid 303',
      'POST /t/acme/token 200',
    ]);
    for (let i = 1; i < legs.length; i++) expect(legs[i]!.upstream).not.toBe(legs[i - 1]!.upstream);
    expect(new Set(legs.map((l) => l.upstream))).toEqual(new Set(world.gatewayAddresses));

    const login = (await world.auditOf('acme')).find((e) => e.action === 'login.succeeded' && e.userAgent === legs[2]!.userAgent);
    expect(login).toMatchObject({ who: 'john', outcome: 'success', clientAddress: address });
  });

  it('refresh and introspection work on either gateway', async () => {
    const { tokens } = await signedIn('beta', 'bea');
    const { result, legs } = await exchangesOf(async () => {
      const first = await client.refreshTokenGrant(world.rp.beta.config, tokens.refresh_token!);
      const second = await client.refreshTokenGrant(world.rp.beta.config, first.refresh_token!);
      const introspected = [await client.tokenIntrospection(world.rp.beta.config, second.access_token), await client.tokenIntrospection(world.rp.beta.config, second.access_token)];
      return { second, introspected };
    });
    const sub = tokens.claims()!.sub;
    expect(result.introspected.map((i) => ({ active: i.active, sub: i.sub, tenant: i.tenant }))).toEqual([
      { active: true, sub, tenant: 'beta' },
      { active: true, sub, tenant: 'beta' },
    ]);
    expect(legs.map((l) => l.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(legs.slice(0, 2).map((l) => l.upstream))).toEqual(new Set(world.gatewayAddresses));
    expect(new Set(legs.slice(2).map((l) => l.upstream))).toEqual(new Set(world.gatewayAddresses));
    expect(result.second.claims()).toMatchObject({ sub, preferred_username: 'bea' });
  });

  it('a support login as jill$john carries act in the ID token, introspection and userinfo', async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'john', reason: 'ticket 14' });
    const { tokens, legs } = await signedIn('acme', 'jill$john');
    const act = { preferred_username: 'jill', tenant: 'management' };
    expect(tokens.claims()).toMatchObject({ preferred_username: 'john', tenant: 'acme', act });
    expect(await client.tokenIntrospection(world.rp.acme.config, tokens.access_token)).toMatchObject({ active: true, act });
    expect(await client.fetchUserInfo(world.rp.acme.config, tokens.access_token, tokens.claims()!.sub)).toMatchObject({ preferred_username: 'john', act });
    const login = (await world.auditOf('acme')).find((e) => e.action === 'login.succeeded' && e.userAgent === legs[2]!.userAgent);
    expect(login).toMatchObject({ who: 'jill$john', actor: { name: 'jill', tenant: 'management' } });
  });

  it('closing support refuses the support token at once on both gateways: introspection inactive, userinfo 401, refresh invalid_grant', async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'john' });
    const { tokens } = await signedIn('acme', 'jill$john');
    const john = await signedIn('acme', 'john');
    expect((await client.tokenIntrospection(world.rp.acme.config, tokens.access_token)).active).toBe(true);

    await world.ops.closeSupport({ tenant: 'acme', username: 'admin' });
    // The very next uses, no waiting: each gateway re-checks the window on every support token use.
    const { result, legs } = await exchangesOf(async () => ({
      introspection: [await client.tokenIntrospection(world.rp.acme.config, tokens.access_token), await client.tokenIntrospection(world.rp.acme.config, tokens.access_token)].map((i) => i.active),
      userinfo: await Promise.all([0, 1].map(() => client.fetchUserInfo(world.rp.acme.config, tokens.access_token, tokens.claims()!.sub).then(() => 'ok', (e: { status?: number; response?: Response }) => e.response?.status ?? e.status))),
    }));
    expect(result).toEqual({ introspection: [false, false], userinfo: [401, 401] });
    expect(new Set(legs.slice(0, 2).map((l) => l.upstream))).toEqual(new Set(world.gatewayAddresses));
    await expect(client.refreshTokenGrant(world.rp.acme.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // john's own session goes on.
    expect((await client.tokenIntrospection(world.rp.acme.config, john.tokens.access_token)).active).toBe(true);
    // And jill can no longer sign in as john.
    const again = await world.traffic.as(world.traffic.newAddress(), () => signIn(world.rp.acme, 'jill$john', password('jill')));
    expect(again).toMatchObject({ ok: false, error: expect.stringMatching(/support access is not enabled/i) });
  });

  it('supportgate audit verify, run against the cluster, finds every tenant chain intact', async () => {
    const r = await world.cli(['audit', 'verify', '--json']);
    const results = JSON.parse(r.stdout) as { tenant: string; ok: boolean; entries: number }[];
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(results.map((v) => v.tenant).sort()).toEqual(['acme', 'beta', 'management']);
    expect(results.every((v) => v.ok && v.entries > 0)).toBe(true);
    const acme = await world.auditOf('acme');
    expect([...new Set(acme.map((e) => e.action))]).toEqual(expect.arrayContaining(['login.succeeded', 'login.failed', 'token.issued', 'userinfo.read', 'support.request.opened', 'support.request.closed', 'session.ended']));
  });
});
