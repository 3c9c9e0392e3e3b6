import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock.js';
import type { Domain } from '../../src/domain.js';
import { AppError } from '../../src/errors.js';
import { setSetting } from '../../src/settings/settings.js';
import { closeSupportRequests, openSupportRequest, supportStatus } from '../../src/support-access/support.js';
import { HOUR } from '../../src/support-access/window.js';
import { createTenant, ensureManagementTenant } from '../../src/tenants/tenants.js';
import { createUser } from '../../src/users/users.js';
import { openDomain, testConfig } from '../support/env.js';
import type { RedisClient } from '../../src/redis/client.js';
import { tenantKey } from '../../src/redis/keys.js';

const T0 = Date.parse('2026-11-22T15:00:00Z');
const at = (h: number) => new Date(T0 + h * HOUR).toISOString();

describe('support window rules (fake clock, real Redis)', () => {
  const config = testConfig('support-rules');
  const clock = new ManualClock(T0);
  let domain: Domain;
  let redis: RedisClient;
  let close: () => Promise<void>;

  const status = async () => {
    const s = await supportStatus(domain, 'acme');
    return { enabled: s.access.enabled, until: s.access.until === null ? null : new Date(s.access.until).toISOString(), active: s.activeRequests, states: s.requests.map((r) => `${r.openedBy.username}:${r.state}`) };
  };
  const open = (username: string, hours?: number, reason?: string) => openSupportRequest(domain, { tenant: 'acme', username, hours, reason });
  const closeAs = (username: string) => closeSupportRequests(domain, { tenant: 'acme', username });
  const refusal = async (p: Promise<unknown>) => (await p.then(() => null, (e: unknown) => e)) as AppError;

  beforeAll(async () => {
    const opened = await openDomain(config);
    redis = opened.redis;
    close = opened.close;
    domain = { ...opened.domain, clock };
    await ensureManagementTenant(domain.tenants, clock);
    await createTenant(domain.tenants, clock, { id: 'acme' });
    for (const [u, roles] of [['john', ['user']], ['mary', ['user']], ['admin', ['tenant-admin']]] as const) {
      await createUser(domain, { tenant: 'acme', username: u, password: 'long-enough-pw', roles: [...roles] });
    }
  });
  beforeEach(async () => {
    clock.set(T0);
    await redis.del(tenantKey(config.redis.prefix, 'acme', 'support', 'window'));
    await domain.settings.update(() => ({}));
  });
  afterAll(async () => close());

  it('one request opens the window for support.requestHours', async () => {
    expect(await status()).toEqual({ enabled: false, until: null, active: 0, states: [] });
    const { request } = await open('john', undefined, 'ticket #42');
    expect(request).toMatchObject({ hours: 24, reason: 'ticket #42', openedBy: { username: 'john' } });
    expect(await status()).toEqual({ enabled: true, until: at(24), active: 1, states: ['john:active'] });
  });

  it("two users' requests prolong each other: the window ending tomorrow 15:00 plus 24 h ends the day after, 15:00", async () => {
    await open('john');
    clock.advance(2 * HOUR);
    await open('mary', 24);
    expect(await status()).toMatchObject({ enabled: true, until: at(48), active: 2 });
  });

  it('a user closes only its own requests; the end is recomputed from the rest in creation order', async () => {
    await open('john', 24);
    clock.advance(1 * HOUR);
    await open('mary', 10);
    clock.advance(1 * HOUR);
    await open('john', 5);
    expect((await status()).until).toBe(at(39));
    const { closed } = await closeAs('mary');
    expect(closed.map((r) => r.openedBy.username)).toEqual(['mary']);
    expect(await status()).toEqual({ enabled: true, until: at(29), active: 2, states: ['john:active', 'mary:closed', 'john:active'] });
    expect((await refusal(closeAs('mary'))).message).toBe('mary has no active support request in tenant "acme"');
  });

  it('a tenant admin closes every request and support access ends', async () => {
    await open('john');
    await open('mary');
    const { closed } = await closeAs('admin');
    expect(closed).toHaveLength(2);
    expect(await status()).toEqual({ enabled: false, until: null, active: 0, states: ['john:closed', 'mary:closed'] });
  });

  it('requests expire: the window closes when its end passes, and a new request starts from now', async () => {
    await open('john', 2);
    clock.advance(2 * HOUR - 1);
    expect((await status()).enabled).toBe(true);
    clock.advance(1);
    expect(await status()).toEqual({ enabled: false, until: null, active: 0, states: ['john:expired'] });
    clock.advance(5 * HOUR);
    await open('mary', 3);
    expect(await status()).toMatchObject({ enabled: true, until: at(10), states: ['john:expired', 'mary:active'] });
  });

  it('global access on, off and until a date', async () => {
    await setSetting(domain.settings, clock, 'support.globalAccess', 'true');
    let s = await supportStatus(domain, 'acme');
    expect(s.access).toEqual({ enabled: true, until: null, via: 'global' });
    expect((await refusal(open('john'))).message).toBe('support access is on for every tenant; no request is needed');
    await setSetting(domain.settings, clock, 'support.globalAccess', at(5));
    s = await supportStatus(domain, 'acme');
    expect(s.access).toEqual({ enabled: true, until: T0 + 5 * HOUR, via: 'global' });
    clock.advance(5 * HOUR);
    expect((await supportStatus(domain, 'acme')).access.enabled).toBe(false);
    await open('john', 1);
    await setSetting(domain.settings, clock, 'support.globalAccess', 'false');
    expect((await supportStatus(domain, 'acme')).access).toEqual({ enabled: true, until: T0 + 6 * HOUR, via: 'requests' });
  });

  it('enforces support.maxRequestHours with a clear error', async () => {
    expect((await refusal(open('john', 169))).message).toBe('hours must be a whole number from 1 to 168 (support.maxRequestHours)');
    expect((await refusal(open('john', 0))).code).toBe('SUPPORT_HOURS');
    await setSetting(domain.settings, clock, 'support.maxRequestHours', '48');
    expect((await refusal(open('john', 49))).message).toBe('hours must be a whole number from 1 to 48 (support.maxRequestHours)');
    expect((await open('john', 48)).request.hours).toBe(48);
  });

  it('refuses requests from unknown or disabled users and in the management tenant', async () => {
    expect((await refusal(open('ghost'))).message).toBe('user "ghost" not found in tenant "acme"');
    expect((await refusal(openSupportRequest(domain, { tenant: 'management', username: 'x' }))).message).toBe('the management tenant is never a support target');
    await domain.users.update('acme', (await domain.users.findByUsername('acme', 'mary'))!.id, (u) => ({ ...u, enabled: false }));
    expect((await refusal(open('mary'))).message).toBe('user "mary" is disabled');
    await domain.users.update('acme', (await domain.users.findByUsername('acme', 'mary'))!.id, (u) => ({ ...u, enabled: true }));
  });
});
