import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ForwardAuthSessions } from '../../src/http/forward-auth-sessions.js';
import type { OidcWorld } from '../oidc/setup.js';
import { forwardAuthWorld, SHOP_HOST } from './world.js';

/**
 * The forward-auth cookie session (`sg_fa`) ends on what ends a console session: a suspension of
 * the tenant since the sign-in (even once it is resumed), and a password set since the sign-in.
 * The sessions are written as /auth/callback writes them (the store, the same Redis); the browser
 * sign-in itself runs in test/forward-auth/nginx.test.ts.
 */
describe('forward-auth cookie sessions', () => {
  let world: OidcWorld;
  let sessions: ForwardAuthSessions;

  beforeAll(async () => {
    ({ world } = await forwardAuthWorld('forward-auth-cookies'));
    sessions = new ForwardAuthSessions(world.gateway.redis, world.config.redis.prefix, world.gateway.domain.clock);
  }, 60_000);
  afterAll(async () => {
    await world?.stop();
  });

  /** A browser signed in as `username` of shop (as jill$username when `support`), a moment ago. */
  async function signedIn(username: string, support = false): Promise<string> {
    const domain = world.gateway.domain;
    const user = (await domain.users.findByUsername('shop', username))!;
    const jill = (await domain.users.findByUsername('management', 'jill'))!;
    const now = domain.clock.now();
    const id = await sessions.start({
      tenant: 'shop',
      identity: { userId: user.id, username, support: support ? { actor: { id: jill.id, username: 'jill' }, startedAt: now } : null, idToken: 'not-used-here', signedInAt: now },
    });
    // The clock's milliseconds: a change in the same millisecond as the sign-in would not be "since".
    await new Promise((r) => setTimeout(r, 5));
    return `shop.${id}`;
  }

  const verify = (cookie: string) =>
    fetch(`${world.url}/auth/verify`, { headers: { cookie: `sg_fa=${cookie}`, 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/orders', 'x-forwarded-host': SHOP_HOST } });

  it('passes with the identity of its sign-in', async () => {
    const john = await signedIn('john');
    const a = await verify(john);
    expect(a.status).toBe(200);
    expect([a.headers.get('x-auth-user'), a.headers.get('x-auth-audit-name')]).toEqual(['john', 'john']);
    const jill = await signedIn('john', true);
    const b = await verify(jill);
    expect(b.status).toBe(200);
    expect([b.headers.get('x-auth-actor'), b.headers.get('x-auth-audit-name')]).toEqual(['jill', 'jill$john']);
  });

  it('ends when the tenant was suspended since the sign-in, also once it is resumed', async () => {
    const john = await signedIn('john');
    expect((await verify(john)).status).toBe(200);
    await world.ops.suspendTenant('shop');
    await world.ops.resumeTenant('shop');
    expect((await verify(john)).status).toBe(401);
    // Dead, not just refused: a later sign-in gets a session of its own.
    expect((await verify(john)).status).toBe(401);
    expect((await verify(await signedIn('john'))).status).toBe(200);
  });

  it('ends when someone set the user’s password since the sign-in', async () => {
    const john = await signedIn('john');
    expect((await verify(john)).status).toBe(200);
    await world.ops.setUser({ tenant: 'shop', username: 'john', password: 'john-new-secret-pw' });
    expect((await verify(john)).status).toBe(401);
    expect((await verify(await signedIn('john'))).status).toBe(200);
  });

  it("a support session ends when the support user's password changed since its sign-in", async () => {
    const jill = await signedIn('john', true);
    expect((await verify(jill)).status).toBe(200);
    await world.ops.setUser({ tenant: 'management', username: 'jill', password: 'jill-new-secret-pw' });
    expect((await verify(jill)).status).toBe(401);
  });
});
