import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { apiRouteTable } from '../../src/http/api/index.js';
import { oidcKey } from '../../src/oidc/adapter.js';
import { closeSupportRequests } from '../../src/support-access/support.js';
import { apiWorld, type ApiWorld } from './world.js';

/** A valid request for every operation that takes a body (so only the policy can refuse it). */
const BODIES: Record<string, unknown> = {
  openSupportRequest: { hours: 1, reason: 'jill wants more time' },
  createUser: { username: 'eve', password: 'eve-secret-pw', roles: ['tenant-admin'] },
  updateUser: { roles: ['tenant-admin'] },
  setUserPassword: { password: 'jill-chose-this' },
  createClient: { clientId: 'backdoor', redirectUris: ['https://evil.example.com/cb'] },
  updateClient: { redirectUris: ['https://evil.example.com/cb'] },
  createTenant: { id: 'evil' },
  updateTenant: { cookieDomain: null },
  setSetting: { value: 'inherit' },
};
const PARAMS: Record<string, string> = { tenant: 'acme', username: 'john', clientId: 'acme-app', id: 'acme', key: 'support.mode' };

describe('a support session (jill$john) through the API: no admin action at all, and no token once its access ended', () => {
  let w: ApiWorld;

  beforeAll(async () => {
    w = await apiWorld('api-support');
  }, 60_000);
  afterAll(async () => w.stop());

  it('knows itself as jill$john, and every admin action is refused (403), the writes recorded under jill$john', async () => {
    await w.ops.openSupport({ tenant: 'acme', username: 'john' });
    const token = await w.userToken('acme', 'jill$john');
    expect((await w.api(token, 'GET', '/acme/me')).body).toMatchObject({ kind: 'support', who: 'jill$john', username: 'john', actor: { username: 'jill' }, roles: [] });
    const admin = apiRouteTable({}).filter((r) => r.permission !== null);
    expect(admin.length).toBeGreaterThan(20);
    for (const r of admin) {
      const path = r.path.replace(/\{(\w+)\}/g, (_m, name: string) => PARAMS[name]!);
      const res = await w.api(token, r.method.toUpperCase(), path, BODIES[r.id]);
      expect([r.id, res.status, res.body.message]).toEqual([r.id, 403, 'a support session cannot change support requests, passwords, users, clients or settings']);
    }
    for (const action of ['support.request.opened', 'support.request.closed', 'user.created', 'user.updated', 'client.created', 'client.updated', 'client.secret.rotated', 'settings.changed']) {
      expect([action, (await w.entries({ tenant: 'acme', action }))[0]]).toEqual([action, expect.objectContaining({ who: 'jill$john', channel: 'api', outcome: 'failure', actor: expect.objectContaining({ name: 'jill' }) })]);
    }
    // Nothing changed: john is still a plain user with his own password.
    expect((await w.gateway.domain.users.findByUsername('acme', 'john'))?.roles).toEqual(['user']);
    expect(await w.gateway.domain.users.findByUsername('acme', 'eve')).toBeNull();
  });

  it('once the window closed, its token is refused (401) even where no gateway heard of the closing', async () => {
    const token = await w.userToken('acme', 'jill$john');
    expect((await w.api(token, 'GET', '/acme/me')).status).toBe(200);
    // Closed in the store only: no event, so nothing revoked the token; it is still stored.
    await closeSupportRequests(w.gateway.domain, { tenant: 'acme', username: 'admin' });
    expect(await w.gateway.redis.exists(oidcKey(w.config.redis.prefix, 'acme', 'AccessToken', token))).toBe(1);
    const r = await w.api(token, 'GET', '/acme/me');
    expect([r.status, r.body.error]).toEqual([401, 'invalid_token']);
  });

  it('and when the tenant admin disables support through the API', async () => {
    await w.ops.openSupport({ tenant: 'acme', username: 'john' });
    const token = await w.userToken('acme', 'jill$john');
    expect((await w.api(token, 'GET', '/acme/me')).status).toBe(200);
    const admin = await w.userToken('acme', 'admin');
    const closed = await w.api(admin, 'POST', '/acme/support/requests/close');
    expect(closed.status).toBe(200);
    expect((await w.entries({ tenant: 'acme', action: 'support.request.closed' }))[0]).toMatchObject({ who: 'admin', outcome: 'success', channel: 'api' });
    expect((await w.api(token, 'GET', '/acme/me')).status).toBe(401);
    // john's own token is untouched.
    expect((await w.api(await w.userToken('acme', 'john'), 'GET', '/acme/me')).status).toBe(200);
  });
});
