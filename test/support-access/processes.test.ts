import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Domain } from '../../src/domain.js';
import { createTenant, ensureManagementTenant } from '../../src/tenants/tenants.js';
import { createUser } from '../../src/users/users.js';
import { runProcess } from '../support/cli.js';
import { openDomain, testConfig } from '../support/env.js';
import { ReferenceWindow } from './reference.js';

interface Change {
  v: number;
  op: 'open' | 'close';
  by: string;
  at: number;
  hours?: number;
  closed?: number;
}

describe('two OS processes opening and closing support requests on one tenant', () => {
  const config = testConfig('support-procs');
  let domain: Domain;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ domain, close } = await openDomain(config));
    await ensureManagementTenant(domain.tenants, domain.clock);
    await createTenant(domain.tenants, domain.clock, { id: 'acme' });
    for (const u of ['ann', 'bob', 'cyd', 'admin']) await createUser(domain, { tenant: 'acme', username: u, password: 'long-enough-pw', roles: [u === 'admin' ? 'tenant-admin' : 'user'] });
  });
  afterAll(async () => close());

  it('end in the state the reference model predicts for the acknowledged changes, none lost', async () => {
    const env = { PATH: process.env.PATH, NODE_ENV: 'test', REDIS_URL: config.redis.url, REDIS_PREFIX: config.redis.prefix, DATA_DIR: config.dataDir };
    const startAt = String(Date.now() + 3000);
    const worker = (users: string, seed: string) => runProcess(process.execPath, ['dist/bench/support-ops-worker.js', 'acme', '300', users, seed, startAt], env);
    const [a, b] = await Promise.all([worker('ann,bob,admin', '7'), worker('bob,cyd,admin', '11')]);
    expect(a.stderr).toBe('');
    expect(b.stderr).toBe('');
    const parse = (out: string, from: string) => out.trim().split('\n').map((l) => ({ ...(JSON.parse(l) as Change), from }));
    const changes = [...parse(a.stdout, 'a'), ...parse(b.stdout, 'b')].sort((x, y) => x.v - y.v);
    // The two processes really interleaved their writes.
    expect(changes.filter((c, i) => i > 0 && c.from !== changes[i - 1]!.from).length).toBeGreaterThan(10);
    // Every acknowledged change has its own version, 1..n without a gap: none was lost.
    expect(changes.map((c) => c.v)).toEqual(changes.map((_, i) => i + 1));
    expect(changes.filter((c) => c.op === 'close').length).toBeGreaterThan(10);

    const model = new ReferenceWindow();
    for (const c of changes) {
      if (c.op === 'open') model.open(c.by, c.at, c.hours!);
      else expect(model.close(c.by, c.by === 'admin', c.at)).toBe(c.closed);
    }
    const stored = await domain.windows.read('acme');
    expect(stored.version).toBe(changes.length);
    expect(stored.end).toBe(model.end());
    expect(stored.requests.map((r) => `${r.openedBy.username}/${r.hours}/${r.closedAt === null ? 'open' : 'closed'}`)).toEqual(
      model.requests.map((r) => `${r.by}/${r.hours}/${r.closed ? 'closed' : 'open'}`),
    );
  }, 120_000);
});
