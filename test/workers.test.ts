import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { relyingParty, signIn } from '../bench/oidc-client.js';
import { operatorAdmin } from '../src/admin/index.js';
import { queryPage } from '../src/audit/query.js';
import type { Domain } from '../src/domain.js';
import { HOUR } from '../src/support-access/window.js';
import { ensureManagementTenant } from '../src/tenants/tenants.js';
import { openDomain, testConfig } from './support/env.js';
import { freePort } from './support/ports.js';
import { runProcess } from './support/cli.js';
import { RunningProcess } from './support/process.js';

/**
 * `supportgate serve --workers 2`: two processes on one port. Whatever a worker cached (a tenant,
 * a user) is dropped in both within a second of its change; what must happen once (a window that
 * ends by time) is audited once; a dead worker is replaced; SIGTERM stops them all.
 */
describe('serve --workers 2', () => {
  let port: number;
  const config = testConfig('workers');
  let domain: Domain;
  let close: () => Promise<void>;
  let server: RunningProcess;
  const ops = () => operatorAdmin(domain, { who: 'cli:test', actor: null, channel: 'cli' });
  const url = (path: string) => `http://localhost:${port}${path}`;
  /** The worker processes: the primary's children. */
  const workerPids = () => execFileSync('pgrep', ['-P', String(server.pid)]).toString().trim().split('\n').map(Number);
  /** Statuses of `n` requests, each on a connection of its own (the primary deals connections to the workers in turn). */
  const statuses = async (path: string, n = 8) => Promise.all(Array.from({ length: n }, async () => (await fetch(url(path), { headers: { connection: 'close' } })).status));
  const until = async (what: () => Promise<boolean>, ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      // A request that fails (a connection the dying worker held) is a no.
      if (await what().catch(() => false)) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  };
  /** /readyz's status, on a connection of its own, given up after 2 s. */
  const readyz = async () => (await fetch(url('/readyz'), { headers: { connection: 'close' }, signal: AbortSignal.timeout(2000) })).status;

  beforeAll(async () => {
    port = await freePort();
    ({ domain, close } = await openDomain(config));
    await ensureManagementTenant(domain.tenants, domain.clock);
    await ops().createTenant({ id: 'acme' });
    await ops().createTenant({ id: 'beta' });
    await ops().createUser({ tenant: 'acme', username: 'john', password: 'john-secret-pw' });
    await ops().createUser({ tenant: 'beta', username: 'bea', password: 'bea-secret-pw' });
    server = new RunningProcess(process.execPath, ['bin/supportgate.js', 'serve', '--workers', '2'], {
      PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'info', LOG_FORMAT: 'json', PORT: String(port), PUBLIC_URL: `http://localhost:${port}`,
      REDIS_URL: config.redis.url, REDIS_PREFIX: config.redis.prefix, DATA_DIR: config.dataDir,
    });
    await server.waitForOutput('2 workers listening');
    expect(await until(async () => (await readyz()) === 200, 10_000)).toBe(true);
  }, 60_000);
  afterAll(async () => {
    server?.signal('SIGKILL');
    await close();
  });

  it('runs two worker processes, both answering on the one port', async () => {
    expect(workerPids()).toHaveLength(2);
    expect(await statuses('/t/acme/.well-known/openid-configuration')).toEqual(Array(8).fill(200));
  });

  it('a suspended tenant is refused by every worker within a second (each had it cached)', async () => {
    expect(await statuses('/t/beta/.well-known/openid-configuration')).toEqual(Array(8).fill(200));
    await ops().suspendTenant('beta');
    await new Promise((r) => setTimeout(r, 1000));
    expect((await statuses('/t/beta/.well-known/openid-configuration')).filter((s) => s === 200)).toEqual([]);
  });

  it('a disabled user cannot sign in on any worker right after the change', async () => {
    const redirectUri = `http://localhost:${port + 1}/callback`;
    const { clientSecret } = await ops().createClient({ tenant: 'acme', clientId: 'acme-app', redirectUris: [redirectUri], firstParty: true });
    const rp = await relyingParty(url('/t/acme'), 'acme-app', clientSecret!, redirectUri);
    for (let i = 0; i < 2; i++) expect((await signIn(rp, 'john', 'john-secret-pw')).ok).toBe(true);
    await ops().setUser({ tenant: 'acme', username: 'john', enabled: false });
    for (let i = 0; i < 2; i++) expect((await signIn(rp, 'john', 'john-secret-pw')).ok).toBe(false);
  }, 30_000);

  it("a rotated client secret is refused by every worker within a second (each had the client cached)", async () => {
    const { clientSecret } = await ops().createClient({ tenant: 'acme', clientId: 'acme-api', redirectUris: [], resourceServer: true });
    const introspect = (secret: string) =>
      Promise.all(
        Array.from({ length: 8 }, async () => {
          const res = await fetch(url('/t/acme/token/introspection'), {
            method: 'POST',
            headers: { connection: 'close', authorization: `Basic ${Buffer.from(`acme-api:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
            body: 'token=not-a-token',
          });
          return res.status;
        }),
      );
    expect(await introspect(clientSecret!)).toEqual(Array(8).fill(200));
    const rotated = await ops().rotateClientSecret({ tenant: 'acme', clientId: 'acme-api' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await introspect(clientSecret!)).toEqual(Array(8).fill(401));
    expect(await introspect(rotated.clientSecret!)).toEqual(Array(8).fill(200));
  });

  it('a window that ends by time is audited once, not once per worker', async () => {
    await ops().createUser({ tenant: 'acme', username: 'ann', password: 'ann-secret-pw' });
    await ops().openSupport({ tenant: 'acme', username: 'ann', hours: 1 });
    const end = Date.now() + 1500;
    const w = await domain.windows.update('acme', (cur) => ({ ...cur, version: cur.version + 1, end, requests: cur.requests.map((r) => ({ ...r, openedAt: end - HOUR })) }));
    await domain.windows.schedule('acme', w.end);
    const deps = { audit: domain.auditStore, tenants: domain.tenants, users: domain.users };
    const expired = async () => (await queryPage(deps, { tenant: 'acme', action: 'support.window.expired' }, 10)).entries;
    expect(await until(async () => (await expired()).length > 0, 6000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500)); // a second claimant would have written by now
    expect(await expired()).toHaveLength(1);
  }, 20_000);

  it('a worker that dies is replaced, and the machine stays ready on the other meanwhile', async () => {
    const [victim] = workerPids();
    process.kill(victim!, 'SIGKILL');
    const seen: number[] = [];
    const replaced = await until(async () => {
      seen.push(await readyz());
      return workerPids().length === 2 && !workerPids().includes(victim!);
    }, 20_000);
    expect(replaced).toBe(true);
    expect(seen.filter((s) => s !== 200)).toEqual([]);
    expect(await readyz()).toBe(200);
    expect(server.stdout).toContain('died');
  }, 40_000);

  it('SIGTERM stops every worker and the server exits 0', async () => {
    const pids = workerPids();
    server.signal('SIGTERM');
    expect(await server.ending()).toBe('0');
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 20_000);
});

describe('serve --workers refuses a count it cannot run', () => {
  it.each([['--workers', '0'], ['--workers', '65'], ['--workers', 'two']])('%s %s: one line on stderr, non-zero, nothing started', async (flag, value) => {
    const r = await runProcess(process.execPath, ['bin/supportgate.js', 'serve', flag, value], { PATH: process.env.PATH, NODE_ENV: 'test' });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe(`supportgate: --workers and WEB_CONCURRENCY take a whole number from 1 to 64 (got "${value}")`);
  });

  it('workers refusing the configuration (production without its keys) stop the server with 78, not a restart loop', async () => {
    const port = await freePort();
    const r = await runProcess(process.execPath, ['bin/supportgate.js', 'serve', '--workers', '2'], { PATH: process.env.PATH, NODE_ENV: 'production', PORT: String(port), REDIS_PREFIX: 'sg-workers-config:', LOG_FORMAT: 'json' });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('SIGNING_KEYS_FILE');
    expect(r.stdout).toContain('refused the configuration; stopping');
    expect(r.stdout).not.toContain('starting another');
  }, 30_000);

  it('and so does WEB_CONCURRENCY', async () => {
    const r = await runProcess(process.execPath, ['bin/supportgate.js', 'serve'], { PATH: process.env.PATH, NODE_ENV: 'test', WEB_CONCURRENCY: 'lots' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('(got "lots")');
  });
});
