import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Domain } from '../../src/domain.js';
import { operatorAdmin } from '../../src/admin/index.js';
import { openSupportRequest } from '../../src/support-access/support.js';
import { HOUR } from '../../src/support-access/window.js';
import { createTenant, ensureManagementTenant } from '../../src/tenants/tenants.js';
import { createUser } from '../../src/users/users.js';
import { queryPage } from '../../src/audit/query.js';
import { openDomain, testConfig } from '../support/env.js';
import { freePort } from '../support/ports.js';
import { RunningProcess } from '../support/process.js';

/** Three gateway processes on one Redis: what one does, all learn; what ends by time is audited once. */
describe('three gateway processes', () => {
  const config = testConfig('gateways');
  let domain: Domain;
  let close: () => Promise<void>;
  const gateways: RunningProcess[] = [];
  const ops = () => operatorAdmin(domain, { who: 'cli:test', actor: null, channel: 'cli' });

  /** Milliseconds until every gateway logged an event of `type` matching `match`. */
  async function allLearn(type: string, match: string[], since: number[], timeoutMs = 3000): Promise<number> {
    const start = Date.now();
    for (;;) {
      const done = gateways.every((g, i) => g.stdout.slice(since[i]).split('\n').some((l) => l.includes(`"message":"event ${type}"`) && match.every((m) => l.includes(m))));
      if (done) return Date.now() - start;
      if (Date.now() - start > timeoutMs) throw new Error(`not every gateway logged ${type} ${match.join(' ')}:\n${gateways.map((g) => g.stdout.slice(-2000)).join('\n---\n')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  const marks = () => gateways.map((g) => g.stdout.length);

  beforeAll(async () => {
    ({ domain, close } = await openDomain(config));
    await ensureManagementTenant(domain.tenants, domain.clock);
    await createTenant(domain.tenants, domain.clock, { id: 'acme' });
    await createTenant(domain.tenants, domain.clock, { id: 'beta' });
    await createUser(domain, { tenant: 'acme', username: 'john', password: 'long-enough-pw' });
    await createUser(domain, { tenant: 'acme', username: 'admin', password: 'long-enough-pw', roles: ['tenant-admin'] });
    await createUser(domain, { tenant: 'beta', username: 'bea', password: 'long-enough-pw' });
    await createUser(domain, { tenant: 'management', username: 'jill', password: 'long-enough-pw', roles: ['support'], scope: ['acme', 'beta'] });
    for (let i = 0; i < 3; i++) {
      // One process each (serve would otherwise run a worker per core): three gateways, three processes.
      const env = { PATH: process.env.PATH, WEB_CONCURRENCY: '1', NODE_ENV: 'test', LOG_LEVEL: 'info', LOG_FORMAT: 'json', PORT: String(await freePort()), REDIS_URL: config.redis.url, REDIS_PREFIX: config.redis.prefix, DATA_DIR: config.dataDir };
      gateways.push(new RunningProcess(process.execPath, ['bin/supportgate.js', 'serve'], env));
    }
    for (const g of gateways) await g.waitForOutput('listening on port');
    // Subscribed once bootstrapped: the first ready log line comes before; give it a moment.
    await new Promise((r) => setTimeout(r, 500));
  }, 60_000);
  afterAll(async () => {
    for (const g of gateways) g.signal('SIGTERM');
    await Promise.all(gateways.map((g) => g.exited));
    await close();
  });

  it('audit a window that ends by time exactly once, and all three learn it within a second of the end', async () => {
    await openSupportRequest(domain, { tenant: 'beta', username: 'bea', hours: 1 });
    // Let the request have been opened an hour ago, less 1.5 s: it ends 1.5 s from now.
    const end = Date.now() + 1500;
    const w = await domain.windows.update('beta', (cur) => ({ ...cur, version: cur.version + 1, end, requests: cur.requests.map((r) => ({ ...r, openedAt: end - HOUR })) }));
    await domain.windows.schedule('beta', w.end);
    const since = marks();
    await new Promise((r) => setTimeout(r, 1400));
    const learnedAfterEnd = (await allLearn('support.window.reduced', ['"reason":"expired"', '"tenant":"beta"'], since, 4000)) + 1400 - 1500;
    expect(learnedAfterEnd).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 1000)); // any second claimant would have written by now
    const deps = { audit: domain.auditStore, tenants: domain.tenants, users: domain.users };
    const expired = await queryPage(deps, { tenant: 'beta', action: 'support.window.expired' }, 10);
    expect(expired.entries).toHaveLength(1);
    expect(expired.entries[0]).toMatchObject({ who: 'system:support-expiry', details: { endedAt: new Date(end).toISOString() } });
  });

  it('audit global access that ends at its date exactly once, and all three learn it', async () => {
    const until = new Date(Date.now() + 1500).toISOString();
    await ops().setSetting('support.globalAccess', until);
    const since = marks();
    await new Promise((r) => setTimeout(r, 1400));
    expect((await allLearn('support.global.reduced', ['"reason":"expired"'], since, 4000)) + 1400 - 1500).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 1000));
    const deps = { audit: domain.auditStore, tenants: domain.tenants, users: domain.users };
    const expired = await queryPage(deps, { tenant: 'management', action: 'support.global.expired' }, 10);
    expect(expired.entries).toHaveLength(1);
    expect(expired.entries[0]!.details).toEqual({ endedAt: until });
  });

  it('all learn within a second that a tenant admin closed support', async () => {
    await ops().openSupport({ tenant: 'acme', username: 'john' });
    const since = marks();
    await ops().closeSupport({ tenant: 'acme', username: 'admin' });
    expect(await allLearn('support.window.reduced', ['"tenant":"acme"', '"endsAt":null', '"reason":"closed"'], since)).toBeLessThan(1000);
  });

  it('all learn within a second that global access was switched off', async () => {
    await ops().setSetting('support.globalAccess', 'true');
    const since = marks();
    await ops().setSetting('support.globalAccess', 'false');
    expect(await allLearn('support.global.reduced', ['"reason":"switched-off"'], since)).toBeLessThan(1000);
  });

  it('all learn within a second that a support user lost a tenant, and that a target user was disabled', async () => {
    let since = marks();
    await ops().setUser({ tenant: 'management', username: 'jill', scope: ['acme'] });
    expect(await allLearn('support.user.reduced', ['"username":"jill"', '"reason":"scope-reduced"'], since)).toBeLessThan(1000);
    since = marks();
    await ops().setUser({ tenant: 'acme', username: 'john', enabled: false });
    expect(await allLearn('user.disabled', ['"tenant":"acme"', '"username":"john"'], since)).toBeLessThan(1000);
    since = marks();
    await ops().setUser({ tenant: 'management', username: 'jill', enabled: false });
    expect(await allLearn('support.user.reduced', ['"username":"jill"', '"reason":"disabled"'], since)).toBeLessThan(1000);
  });
});
