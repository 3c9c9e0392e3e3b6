import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock.js';
import type { Domain } from '../../src/domain.js';
import { setSetting } from '../../src/settings/settings.js';
import { decideEntry, DENY_MESSAGES, mayEnter } from '../../src/support-access/may-enter.js';
import { openSupportRequest } from '../../src/support-access/support.js';
import { HOUR } from '../../src/support-access/window.js';
import { createTenant, ensureManagementTenant } from '../../src/tenants/tenants.js';
import { createUser, setUser } from '../../src/users/users.js';
import { openDomain, testConfig } from '../support/env.js';

const T0 = Date.parse('2026-11-22T08:00:00Z');

describe('may support user S enter tenant T as user U now?', () => {
  const clock = new ManualClock(T0);
  let domain: Domain;
  let close: () => Promise<void>;
  const ask = (supportUser: string, tenant: string, target: string | null) => mayEnter(domain, { supportUser, tenant, target });
  const reason = async (s: string, t: string, u: string | null) => {
    const d = await ask(s, t, u);
    return d.ok ? 'ok' : d.reason;
  };

  beforeAll(async () => {
    const opened = await openDomain(testConfig('may-enter'));
    close = opened.close;
    domain = { ...opened.domain, clock };
    await ensureManagementTenant(domain.tenants, clock);
    for (const t of ['acme', 'beta', 'gamma']) await createTenant(domain.tenants, clock, { id: t });
    const pw = 'long-enough-pw';
    await createUser(domain, { tenant: 'management', username: 'jill', password: pw, roles: ['support'], scope: ['acme'] });
    await createUser(domain, { tenant: 'management', username: 'sue', password: pw, roles: ['support'], scope: ['*'] });
    await createUser(domain, { tenant: 'management', username: 'pat', password: pw, roles: ['platform-admin'] });
    await createUser(domain, { tenant: 'management', username: 'off', password: pw, roles: ['support'], scope: ['*'] });
    await setUser(domain, { tenant: 'management', username: 'off', enabled: false });
    await createUser(domain, { tenant: 'acme', username: 'john', password: pw });
    clock.advance(1000);
    await createUser(domain, { tenant: 'acme', username: 'old-admin', password: pw, roles: ['tenant-admin'] });
    clock.advance(1000);
    await createUser(domain, { tenant: 'acme', username: 'new-admin', password: pw, roles: ['tenant-admin'] });
    await createUser(domain, { tenant: 'acme', username: 'gone', password: pw });
    await setUser(domain, { tenant: 'acme', username: 'gone', enabled: false });
    await createUser(domain, { tenant: 'gamma', username: 'gus', password: pw });
  });
  afterAll(async () => close());

  it('refuses while the tenant allows no support, saying so', async () => {
    const d = await ask('jill', 'acme', 'john');
    expect(d).toEqual({ ok: false, reason: 'support-not-enabled', message: 'support access is not enabled for this tenant' });
  });

  it('lets a scoped support user in while a request is open, until the window ends', async () => {
    await openSupportRequest(domain, { tenant: 'acme', username: 'john', hours: 2 });
    const d = await ask('jill', 'acme', 'john');
    expect(d).toMatchObject({ ok: true, via: 'requests', until: T0 + 2000 + 2 * HOUR, target: { username: 'john' }, supportUser: { username: 'jill' } });
    clock.advance(2 * HOUR);
    expect(await reason('jill', 'acme', 'john')).toBe('support-not-enabled');
  });

  it('lands jill$ on the oldest enabled tenant admin', async () => {
    await openSupportRequest(domain, { tenant: 'acme', username: 'john', hours: 2 });
    const d = await ask('jill', 'acme', null);
    expect(d.ok && d.target.username).toBe('old-admin');
    await setUser(domain, { tenant: 'acme', username: 'old-admin', enabled: false });
    const next = await ask('jill', 'acme', null);
    expect(next.ok && next.target.username).toBe('new-admin');
    await setUser(domain, { tenant: 'acme', username: 'old-admin', enabled: true });
  });

  it.each([
    ['pat', 'acme', 'john', 'not-a-support-user'],
    ['nobody', 'acme', 'john', 'not-a-support-user'],
    ['off', 'acme', 'john', 'support-user-disabled'],
    ['jill', 'nope', 'john', 'tenant-not-found'],
    ['sue', 'management', 'pat', 'management-is-never-a-target'],
    ['jill', 'gamma', 'gus', 'not-in-scope'],
    ['jill', 'acme', 'ghost', 'target-not-found'],
    ['jill', 'acme', 'gone', 'target-disabled'],
    ['sue', 'gamma', null, 'support-not-enabled'],
  ])('%s entering %s as %s: %s', async (s, t, u, expected) => {
    expect(await reason(s, t, u)).toBe(expected);
  });

  it('global access lets every scoped support user in as any user, with no request, until its date', async () => {
    await setSetting(domain.settings, clock, 'support.globalAccess', new Date(clock.now() + HOUR).toISOString());
    const d = await ask('sue', 'gamma', 'gus');
    expect(d).toMatchObject({ ok: true, via: 'global', until: clock.now() + HOUR });
    expect(await reason('jill', 'gamma', 'gus')).toBe('not-in-scope');
    expect(await reason('sue', 'gamma', null)).toBe('no-tenant-admin');
    clock.advance(HOUR);
    expect(await reason('sue', 'gamma', 'gus')).toBe('support-not-enabled');
    await setSetting(domain.settings, clock, 'support.globalAccess', 'false');
  });

  it('never lands on a support or platform-admin user, even one stored in a tenant by other means', async () => {
    const jill = (await domain.users.findByUsername('management', 'sue'))!;
    const john = (await domain.users.findByUsername('acme', 'john'))!;
    const tenant = (await domain.tenants.get('acme'))!;
    const facts = { supportUser: jill, tenant, globalSetting: true, window: { version: 0, end: null, requests: [] }, now: clock.now() };
    expect(decideEntry({ ...facts, target: { ...john, roles: ['user', 'support'] } })).toMatchObject({ ok: false, reason: 'target-protected' });
    expect(decideEntry({ ...facts, target: { ...john, roles: ['platform-admin'] } })).toMatchObject({ ok: false, reason: 'target-protected' });
    expect(decideEntry({ ...facts, target: john })).toMatchObject({ ok: true, via: 'global', until: null });
  });

  it('names the causes only in words that reveal nothing before the password check', () => {
    expect(DENY_MESSAGES['not-a-support-user']).toBe('Invalid username or password');
    expect(DENY_MESSAGES['not-in-scope']).toBe('not permitted for this tenant');
  });
});
