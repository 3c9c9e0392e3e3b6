import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { oidcWorld, type OidcWorld } from '../oidc/setup.js';
import { forwardAuthWorld } from './world.js';

/**
 * GET /auth/verify as a proxy calls it (its forwarded headers describe the original request),
 * with real tokens from the tenant's issuer. (Through real nginx: test/forward-auth/nginx.test.ts.)
 */
describe('forward-auth decisions', () => {
  let world: OidcWorld;
  let john: string;
  let jill: string;
  let bea: string;

  const verify = (token: string | null, method = 'GET', uri = '/orders?x=1', host = 'shop.example.test') =>
    fetch(`${world.url}/auth/verify`, {
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'x-forwarded-method': method, 'x-forwarded-uri': uri, 'x-forwarded-host': host },
    });
  const decisions = async () => (await world.ops.queryAudit({ tenant: 'shop', action: 'forward-auth.*' }, 200)).entries;

  beforeAll(async () => {
    ({ world, john, jill, bea } = await forwardAuthWorld('forward-auth-verify'));
  }, 60_000);
  afterAll(async () => {
    await world?.stop();
  });

  it("john's request passes with his identity; jill's carries both", async () => {
    const a = await verify(john);
    expect(a.status).toBe(200);
    expect(Object.fromEntries(['x-auth-user', 'x-auth-tenant', 'x-auth-audit-name', 'x-auth-actor'].map((h) => [h, a.headers.get(h)]))).toEqual({ 'x-auth-user': 'john', 'x-auth-tenant': 'shop', 'x-auth-audit-name': 'john', 'x-auth-actor': null });
    const b = await verify(jill, 'POST', '/orders/7');
    expect(b.status).toBe(200);
    expect([b.headers.get('x-auth-user'), b.headers.get('x-auth-actor'), b.headers.get('x-auth-audit-name')]).toEqual(['john', 'jill', 'jill$john']);
    const entries = await decisions();
    expect(entries.find((e) => e.who === 'jill$john' && e.details.method === 'POST')).toMatchObject({ action: 'forward-auth.allowed', channel: 'forward-auth', details: { path: '/orders/7', status: 200 } });
  });

  it('read-only mode: jill may read but her POST is 403; john\'s POST passes', async () => {
    await world.ops.setSetting('support.mode', 'read-only', 'shop');
    try {
      expect((await verify(jill, 'GET')).status).toBe(200);
      expect((await verify(jill, 'POST', '/orders/8')).status).toBe(403);
      expect((await verify(john, 'POST', '/orders/9')).status).toBe(200);
      const denied = (await decisions()).find((e) => e.details.path === '/orders/8');
      expect(denied).toMatchObject({ action: 'forward-auth.denied', who: 'jill$john', outcome: 'failure', details: { method: 'POST', status: 403 } });
    } finally {
      await world.ops.setSetting('support.mode', 'inherit', 'shop');
    }
  });

  it("a token of another tenant on this tenant's host, no token, and an unknown host are 401", async () => {
    expect((await verify(bea)).status).toBe(401);
    expect((await verify(null)).status).toBe(401);
    expect((await verify(john, 'GET', '/', 'nowhere.example.test')).status).toBe(401);
    const anonymous = (await decisions()).filter((e) => e.outcome === 'failure' && e.details.status === 401);
    expect(anonymous.length).toBeGreaterThanOrEqual(2);
  });

  it('after the tenant admin closes support, jill is 401 at once', async () => {
    await world.ops.closeSupport({ tenant: 'shop', username: 'admin' });
    expect((await verify(jill)).status).toBe(401);
    expect((await verify(john)).status).toBe(200);
  });
});

describe('forward-auth without a trusted proxy', () => {
  let world: OidcWorld;
  beforeAll(async () => {
    world = await oidcWorld('forward-auth-untrusted');
  }, 30_000);
  afterAll(async () => {
    await world?.stop();
  });

  it('refuses to decide for a caller TRUST_PROXY does not name (it could claim any host and method)', async () => {
    const a = await fetch(`${world.url}/auth/verify`, { headers: { 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/', 'x-forwarded-host': 'acme.example.test' } });
    expect(a.status).toBe(403);
    expect(((await a.json()) as { message: string }).message).toBe('forward-auth answers only the proxies TRUST_PROXY names');
  });
});
