import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { relyingParty, signIn } from '../../bench/oidc-client.js';
import { operatorAdmin } from '../../src/admin/index.js';
import type { AuditEntry } from '../../src/audit/entry.js';
import { checkActorIndex } from '../../src/audit/index-check.js';
import { queryEntries } from '../../src/audit/query.js';
import { verifyTenantLog } from '../../src/audit/verify.js';
import type { Domain } from '../../src/domain.js';
import { packageRoot } from '../../src/paths.js';
import { ensureManagementTenant } from '../../src/tenants/tenants.js';
import { cliProcess } from '../support/cli.js';
import { openDomain, testConfig } from '../support/env.js';
import { freePort } from '../support/ports.js';
import { RunningProcess } from '../support/process.js';
import { startRedisProcess, type RedisProcess } from '../support/redis-server.js';

// The kill test: processes die at the worst moment — the instant their change reaches
// Redis (seen with MONITOR on this test's own redis-server) — and afterwards no change is without
// an entry, the support index has no gap, and every chain verifies.

const SIGNALS: NodeJS.Signals[] = [...Array<NodeJS.Signals>(30).fill('SIGKILL'), ...Array<NodeJS.Signals>(15).fill('SIGINT'), ...Array<NodeJS.Signals>(15).fill('SIGTERM')];

describe('killed at the instant a change reaches Redis', () => {
  let redis: RedisProcess;
  let base: Redis;
  let monitor: Redis;
  let domain: Domain;
  let close: () => Promise<void>;
  let env: NodeJS.ProcessEnv;
  const seen: string[][] = [];

  beforeAll(async () => {
    redis = await startRedisProcess();
    const dataDir = mkdtempSync(join(tmpdir(), 'sg-kill-'));
    const config = testConfig('audit-kill', { REDIS_URL: redis.url, DATA_DIR: dataDir, ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' });
    env = { PATH: process.env.PATH, NODE_ENV: 'test', REDIS_URL: redis.url, REDIS_PREFIX: config.redis.prefix, DATA_DIR: dataDir, ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', LOG_LEVEL: 'error' };
    ({ domain, close } = await openDomain(config));
    await ensureManagementTenant(domain.tenants, domain.clock);
    const ops = operatorAdmin(domain, { who: 'cli:test', actor: null, channel: 'cli' });
    await ops.createTenant({ id: 'acme' });
    await ops.createUser({ tenant: 'acme', username: 'john', password: 'john-secret-pw' });
    await ops.createUser({ tenant: 'acme', username: 'admin', password: 'admin-secret-pw', roles: ['tenant-admin'] });
    await ops.createUser({ tenant: 'management', username: 'jill', password: 'jill-secret-pw', roles: ['support'], scope: ['acme'] });
    base = new Redis(redis.url);
    monitor = await base.monitor();
    monitor.on('monitor', (_time: string, args: string[]) => seen.push(args));
  }, 30_000);
  afterAll(async () => {
    monitor?.disconnect();
    base?.disconnect();
    await close();
    await redis.stop();
  });

  const entries = async (tenant: string, action: string): Promise<AuditEntry[]> => {
    const found: AuditEntry[] = [];
    for await (const hit of queryEntries({ audit: domain.auditStore, tenants: domain.tenants, users: domain.users }, { tenant, action })) found.push(hit.entry);
    return found;
  };

  /** Runs one CLI action and signals it the moment a script writing `marker` reaches Redis. */
  const killAtTheWrite = (argv: string[], stdin: string, marker: string, signal: NodeJS.Signals) =>
    new Promise<{ pid: number; code: number | string | null; signalled: boolean }>((resolve, reject) => {
      const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'supportgate.js'), ...argv], { env, cwd: packageRoot(), stdio: ['pipe', 'ignore', 'ignore'] });
      child.stdin.end(stdin);
      let signalled = false;
      const from = seen.length;
      const watch = setInterval(() => {
        for (let i = from; i < seen.length && !signalled; i++) {
          const [command, ...args] = seen[i]!;
          if (/^eval(sha)?$/i.test(command ?? '') && args.some((a) => a.includes(marker))) {
            signalled = true;
            child.kill(signal);
          }
        }
      }, 1);
      let timedOut = false;
      const timeout = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, 30_000);
      child.on('error', reject);
      child.on('exit', (code, signalCode) => {
        clearInterval(watch);
        clearTimeout(timeout);
        resolve({ pid: child.pid!, code: timedOut ? 'hung: killed after 30 s' : (code ?? `killed by ${signalCode}`), signalled });
      });
    });

  it('60 CLI actions (30 SIGKILL, 15 SIGINT, 15 SIGTERM): 0 changes without an entry', async () => {
    const runs: { i: number; signal: NodeJS.Signals; kind: 'user' | 'support'; pid: number; code: number | string | null; signalled: boolean }[] = [];
    for (const [i, signal] of SIGNALS.entries()) {
      const kind = i % 2 === 0 ? 'user' : 'support';
      const marker = kind === 'user' ? `kill-u${i}` : `kill-r${i}`;
      const argv = kind === 'user' ? ['user', 'create', 'acme', marker, '--password-stdin'] : ['support', 'enable', 'acme', '--as', 'john', '--hours', '1', '--reason', marker];
      runs.push({ i, signal, kind, ...(await killAtTheWrite(argv, kind === 'user' ? 'a-long-enough-password' : '', marker, signal)) });
    }
    // Nearly every process is stopped at its write (a quick one may finish before the signal lands).
    const signalled = runs.filter((r) => r.signalled);

    // The next CLI action completes the entries of the killed ones first.
    expect((await cliProcess(['settings', 'set', 'support.requestHours', '24'], env)).code).toBe(0);

    const created = await entries('acme', 'user.created');
    const opened = await entries('acme', 'support.request.opened');
    const window = await domain.windows.read('acme');
    const missing: string[] = [];
    for (const r of runs) {
      if (r.kind === 'user') {
        const user = await domain.users.findByUsername('acme', `kill-u${r.i}`);
        if (user && !created.some((e) => e.subject?.name === `kill-u${r.i}`)) missing.push(`user kill-u${r.i} (${r.signal})`);
      } else {
        const request = window.requests.find((q) => q.reason === `kill-r${r.i}`);
        const recorded = opened.some((e) => e.details.reason === `kill-r${r.i}` || e.details.interruptedPid === r.pid);
        if (request && !recorded) missing.push(`support request kill-r${r.i} (${r.signal})`);
      }
    }
    const changes = runs.filter((r) => (r.kind === 'user' ? created : opened).length > 0).length;
    console.log(`kill test: ${signalled.length} of ${runs.length} CLI actions signalled at their write (${signalled.filter((r) => r.signal === 'SIGKILL').length} SIGKILL); changes stored without an entry: ${missing.length}; interrupted entries: ${[...created, ...opened].filter((e) => e.cause?.startsWith('interrupted')).length}`);
    expect(changes).toBeGreaterThan(0);
    expect(missing).toEqual([]);
    expect(signalled.length).toBeGreaterThanOrEqual(50);
    // A polite signal lets the action finish with its entry: the process ends 130/143 after it.
    // (Rarely, in CI, the first SIGINT after the SIGKILL series ended a process by the signal
    // itself: see the issue-10 note. Its change is still covered — `missing` above is empty.)
    const polite = signalled.filter((x) => x.signal !== 'SIGKILL');
    const entryOf = (r: (typeof runs)[number]) => (r.kind === 'user' ? created.find((e) => e.subject?.name === `kill-u${r.i}`) : opened.find((e) => e.details.reason === `kill-r${r.i}`));
    const exitedPolitely = polite.filter((r) => r.code === (r.signal === 'SIGINT' ? 130 : 143));
    // A process whose action had just finished (its entry written, the marker seen in that very
    // write) can be ending when the signal lands; Node then no longer runs the handler and the
    // process ends by the signal. Its action still finished, with its own entry. Under a fully
    // loaded CI run that happened to 5 of 30; only a process without its entry counts as cut off.
    const endedBySignalAfterItsEntry = polite.filter((r) => !exitedPolitely.includes(r) && String(r.code).startsWith('killed by') && entryOf(r)?.outcome === 'success' && !entryOf(r)?.cause);
    const cutOff = polite.filter((r) => !exitedPolitely.includes(r) && !endedBySignalAfterItsEntry.includes(r));
    console.log(
      `polite signals: ${exitedPolitely.length} of ${polite.length} finished their action and exited 130/143, ${endedBySignalAfterItsEntry.length} ended by the signal after their action's own entry; ` +
        `others: ${JSON.stringify(cutOff.map((r) => ({ i: r.i, code: r.code, entry: entryOf(r)?.outcome ?? null })))}`,
    );
    expect(cutOff.length).toBeLessThanOrEqual(2);
    for (const r of exitedPolitely) expect({ i: r.i, outcome: entryOf(r)?.outcome }).toEqual({ i: r.i, outcome: 'success' });
    expect(await domain.auditStore.intents('acme')).toEqual([]);
    expect(await verifyTenantLog(domain.auditStore, 'acme')).toMatchObject({ ok: true });
  }, 240_000);

  it('5 gateway kills under support logins: every acknowledged login has its entries, the support index has no gap', async () => {
    const port = await freePort();
    const gatewayEnv = { ...env, WEB_CONCURRENCY: '1', PORT: String(port), PUBLIC_URL: `http://localhost:${port}` };
    const ops = operatorAdmin(domain, { who: 'cli:test', actor: null, channel: 'cli' });
    await ops.openSupport({ tenant: 'acme', username: 'john', hours: 2 });
    const redirectUri = `http://localhost:${port + 1}/callback`;
    const { clientSecret } = await ops.createClient({ tenant: 'acme', clientId: 'kill-app', redirectUris: [redirectUri], firstParty: true });
    let acknowledged = 0;
    for (let kill = 0; kill < 5; kill++) {
      const gateway = new RunningProcess(process.execPath, [join(packageRoot(), 'bin', 'supportgate.js'), 'serve'], gatewayEnv);
      try {
        for (let i = 0; i < 200 && (await fetch(`http://localhost:${port}/readyz`).then((r) => r.status, () => 0)) !== 200; i++) await new Promise((r) => setTimeout(r, 50));
        const rp = await relyingParty(`http://localhost:${port}/t/acme`, 'kill-app', clientSecret!, redirectUri);
        // Logins under way when the gateway dies: some complete, the rest fail with it.
        const load = Array.from({ length: 4 }, async () => {
          for (;;) {
            const r = await signIn(rp, 'jill$john', 'jill-secret-pw').catch(() => null);
            if (!r?.ok) return;
            acknowledged++;
          }
        });
        // Killed once this round has acknowledged a login (or after 5 s) plus a varying delay:
        // on a loaded machine a fixed delay could kill every round before any login finished.
        const before = acknowledged;
        const since = Date.now();
        while (acknowledged === before && Date.now() - since < 5000) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, kill * 100));
        gateway.signal('SIGKILL');
        await gateway.exited;
        await Promise.all(load);
      } finally {
        await gateway.kill();
      }
    }
    const logins = (await entries('acme', 'login.succeeded')).filter((e) => e.who === 'jill$john');
    const tokens = (await entries('acme', 'token.issued')).filter((e) => e.who === 'jill$john');
    console.log(`gateway kills: 5; support logins acknowledged: ${acknowledged}; login entries: ${logins.length}; token entries: ${tokens.length}`);
    expect(acknowledged).toBeGreaterThan(0);
    expect(logins.length).toBeGreaterThanOrEqual(acknowledged);
    expect(tokens.length).toBeGreaterThanOrEqual(acknowledged);
    expect(await checkActorIndex(domain.auditStore, 'acme')).toEqual([]);
    expect(await verifyTenantLog(domain.auditStore, 'acme')).toMatchObject({ ok: true });
    // And the auditor's own command says so.
    const verified = await cliProcess(['audit', 'verify', '--tenant', 'acme'], env);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^acme: OK \(/);
  }, 120_000);
});
