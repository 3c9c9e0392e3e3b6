/**
 * Audit log benchmark: appends/s with the hash chain (one process; two processes on one tenant)
 * against raw XADD of the same entries in the same run, newest-100 query latency and filtered
 * queries at 1 million entries in one tenant, and the time to verify those 1 million.
 * Run: npm run bench:audit [-- --entries 1000000]
 */
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { AuditLog } from '../src/audit/audit-log.js';
import { hashEntry } from '../src/audit/entry.js';
import { queryPage, type AuditFilter } from '../src/audit/query.js';
import { RedisAuditStore } from '../src/audit/redis-audit-store.js';
import { verifyTenantLog } from '../src/audit/verify.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createDomain } from '../src/domain.js';
import { closeRedis, connectRedis, createRedis } from '../src/redis/client.js';
import { tenantKey } from '../src/redis/keys.js';
import { loadKeyMaterial } from '../src/secrets/keys.js';
import { createTenant, ensureManagementTenant } from '../src/tenants/tenants.js';
import { appendEntries } from './audit-append-worker.js';
import { benchRedis } from './private-redis.js';

const fmt = (n: number) => Math.round(n).toLocaleString('en');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function runWorker(env: NodeJS.ProcessEnv, tenant: string, count: number, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL('./audit-append-worker.js', import.meta.url).pathname, tenant, String(count), label], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${label} exited ${code}`))));
  });
}

export async function runAuditBench(total: number): Promise<void> {
  const redisHome = await benchRedis();
  const env = { ...process.env, NODE_ENV: 'test', REDIS_URL: redisHome.url, REDIS_PREFIX: `sgbench-${process.pid}:`, REDIS_CLUSTER_NODES: '' };
  const config = loadConfig({ env });
  const redis = createRedis(config, { mode: 'server' });
  await connectRedis(redis, config);
  const keys = await loadKeyMaterial(loadConfig({ env: { ...env, DATA_DIR: `${config.dataDir}/bench` } }));
  const domain = createDomain(config, redis, keys.clientSecretsKey);
  await ensureManagementTenant(domain.tenants, domain.clock);
  await createTenant(domain.tenants, domain.clock, { id: 'acme' });
  const store = new RedisAuditStore(redis, config.redis.prefix);
  const log = new AuditLog(store, systemClock, undefined);
  console.log(`audit bench: ${redisHome.where}; Node ${process.version}`);

  try {
    // Baseline: the same entries XADDed raw, pipelined, no chain (what Redis itself allows).
    const sample = 50_000;
    const rawKey = tenantKey(config.redis.prefix, 'raw', 'audit');
    const proto = { id: '0-0', seq: 0, prev: '', time: new Date().toISOString(), tenant: 'raw', who: 'jill$john', actor: null, subject: null, action: 'login.succeeded', outcome: 'success', cause: null, clientAddress: '127.0.0.1', userAgent: 'bench', clientId: null, requestId: 'r', channel: 'login', details: { n: 1 } } as const;
    let t = performance.now();
    for (let i = 0; i < sample; i += 500) {
      const p = redis.pipeline();
      for (let j = 0; j < 500; j++) p.xadd(rawKey, '*', 'seq', String(i + j), 'h', hashEntry(proto), 'e', JSON.stringify(proto));
      await p.exec();
    }
    const rawRate = sample / ((performance.now() - t) / 1000);
    await redis.del(rawKey);

    t = performance.now();
    await appendEntries(log, 'one', sample, 'one');
    const oneRate = sample / ((performance.now() - t) / 1000);

    t = performance.now();
    await Promise.all([runWorker(env, 'two', sample, 'a'), runWorker(env, 'two', sample, 'b')]);
    const twoRate = (2 * sample) / ((performance.now() - t) / 1000);
    const twoOk = await verifyTenantLog(store, 'two');

    console.log(`append, raw XADD baseline (no chain, pipelined):  ${fmt(rawRate)} entries/s`);
    console.log(`append with hash chain, one process:              ${fmt(oneRate)} entries/s  (ratio to raw ${(oneRate / rawRate).toFixed(2)}; goal >= 10,000/s: ${oneRate >= 10_000 ? 'met' : 'NOT met'})`);
    console.log(`append with hash chain, two processes, one tenant: ${fmt(twoRate)} entries/s together  (ratio to raw ${(twoRate / rawRate).toFixed(2)}; chain ${twoOk.ok ? `verifies, ${twoOk.entries} entries` : 'BROKEN'})`);

    // Fill one tenant to `total` entries.
    t = performance.now();
    const existing = await store.length('acme');
    let done = existing;
    while (done < total) {
      const n = Math.min(100_000, total - done);
      await appendEntries(log, 'acme', n, `fill${done}`);
      done += n;
      if (process.stderr.isTTY) process.stderr.write(`\rfilled ${fmt(done)} / ${fmt(total)}`);
    }
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.log(`filled tenant acme to ${fmt(await store.length('acme'))} entries in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const deps = { audit: store, tenants: domain.tenants, users: domain.users };
    const timeQuery = async (filter: AuditFilter, limit: number, runs: number) => {
      const times: number[] = [];
      let found = 0;
      for (let i = 0; i < runs; i++) {
        const s = performance.now();
        found = (await queryPage(deps, filter, limit)).entries.length;
        times.push(performance.now() - s);
      }
      times.sort((a, b) => a - b);
      return { p50: percentile(times, 50), p95: percentile(times, 95), found };
    };
    const newest = await timeQuery({ tenant: 'acme' }, 100, 300);
    console.log(`newest 100 of ${fmt(total)}: p50 ${newest.p50.toFixed(2)} ms, p95 ${newest.p95.toFixed(2)} ms  (goal p95 < 20 ms: ${newest.p95 < 20 ? 'met' : 'NOT met'})`);
    const common = await timeQuery({ tenant: 'acme', who: 'jill$*', outcome: 'failure' }, 100, 50);
    console.log(`filtered (who jill$*, outcome failure; ~1 in 21 match), 100 results: p50 ${common.p50.toFixed(1)} ms, p95 ${common.p95.toFixed(1)} ms`);
    const rare = await timeQuery({ tenant: 'acme', action: 'support.request.opened' }, 100, 5);
    console.log(`filtered (action support.request.opened; 1 in 1000 match), 100 results: p50 ${rare.p50.toFixed(0)} ms, p95 ${rare.p95.toFixed(0)} ms`);
    const none = await timeQuery({ tenant: 'acme', who: 'nobody' }, 100, 1);
    console.log(`filtered with no match (full scan of ${fmt(total)}): ${(none.p50 / 1000).toFixed(1)} s`);

    t = performance.now();
    const verified = await verifyTenantLog(store, 'acme', process.stderr.isTTY ? (n) => process.stderr.write(`\rverified ${fmt(n)}`) : undefined);
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.log(`verify ${fmt(verified.entries)} entries: ${((performance.now() - t) / 1000).toFixed(1)} s (${verified.ok ? 'OK' : `BROKEN: ${verified.reason}`})`);
  } finally {
    const cleanup = new Redis(redisHome.url);
    let cursor = '0';
    do {
      const [next, found] = await cleanup.scan(cursor, 'MATCH', `${config.redis.prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (found.length) await cleanup.unlink(...found);
    } while (cursor !== '0');
    await cleanup.quit();
    await closeRedis(redis);
    await redisHome.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--entries');
  await runAuditBench(i > 0 ? Number(process.argv[i + 1]) : 1_000_000);
}
