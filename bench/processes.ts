/**
 * What the benchmarks need to run a server the way production runs it: in a process of its own,
 * started, awaited, stopped, and its CPU time read from outside (all its processes summed).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { operatorAdmin, type Admin } from '../src/admin/index.js';
import { loadConfig, type Config } from '../src/config.js';
import { createDomain, type Domain } from '../src/domain.js';
import { closeRedis, connectRedis, createRedis, type RedisClient } from '../src/redis/client.js';
import { benchRedis } from './private-redis.js';
import { loadKeyMaterial } from '../src/secrets/keys.js';
import { ensureManagementTenant } from '../src/tenants/tenants.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

/** A child process, stopped with SIGTERM (SIGKILL after 5 s) and awaited. */
export interface Child {
  proc: ChildProcess;
  exited: Promise<void>;
  stop(): Promise<void>;
}

export function startChild(args: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  // The output is the child's own (errors at LOG_LEVEL=error); pass it on, but do not block on it.
  proc.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk.toString().replace(/^ready\n$/, '')));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    exited,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function waitFor(url: string, child: Child, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.proc.exitCode !== null) throw new Error(`${what} exited with ${child.proc.exitCode} before it answered`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer ${url} in 30 s`);
}

/** Clock ticks per second of /proc's CPU times (CLK_TCK; 100 on Linux unless told otherwise). */
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU ms a process has used, from /proc/<pid>/stat (all its threads). */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
  } catch {
    return 0; // gone
  }
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)]).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

/** CPU ms of a server and its worker processes together (a worker replaced meanwhile would be missed: the bench fails on errors). */
export function serverCpuMs(pid: number): number {
  return [pid, ...childrenOf(pid)].reduce((sum, p) => sum + processCpuMs(p), 0);
}

/** The environment of a bench gateway on `port`: its own prefix and data folder on the bench's Redis. */
export function gatewayEnv(name: string, port: number, redisUrl: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'development',
    PORT: String(port),
    PUBLIC_URL: `http://localhost:${port}`,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `sgbench-${name}-${process.pid}:`,
    REDIS_CLUSTER_NODES: '',
    DATA_DIR: mkdtempSync(join(tmpdir(), `sg-bench-${name}-`)),
    LOG_LEVEL: 'error',
    ...extra,
  };
}

/**
 * `supportgate serve` with `args` in a process of its own, answering /readyz. The node flags in
 * BENCH_GATEWAY_NODE_ARGS (e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof') go to it when `profiled`.
 */
export async function startGatewayProcess(env: NodeJS.ProcessEnv, args: string[], profiled = true): Promise<Child> {
  const bin = new URL('../../bin/supportgate.js', import.meta.url).pathname;
  const nodeArgs = profiled ? (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter((a) => a !== '') : [];
  const gateway = startChild([...nodeArgs, bin, 'serve', ...args], env);
  await waitFor(`http://127.0.0.1:${env.PORT}/readyz`, gateway, 'the gateway');
  return gateway;
}

/** The bench's own hands on a gateway's data: the same Redis, prefix and DATA_DIR keys, as an operator. */
export async function benchAdmin(env: NodeJS.ProcessEnv): Promise<{ config: Config; redis: RedisClient; domain: Domain; ops: Admin }> {
  const config = loadConfig({ env });
  const redis = createRedis(config, { mode: 'server' });
  await connectRedis(redis, config);
  const domain = createDomain(config, redis, (await loadKeyMaterial(config)).clientSecretsKey);
  await ensureManagementTenant(domain.tenants, domain.clock);
  return { config, redis, domain, ops: operatorAdmin(domain, { who: 'bench', actor: null, channel: 'system' }) };
}

/** The benches' tenant: acme, its user john, and support user jill whose scope is acme (passwords `<name>-secret-pw`). */
export async function seedAcme(ops: Admin): Promise<void> {
  await ops.createTenant({ id: 'acme' });
  await ops.createUser({ tenant: 'acme', username: 'john', password: 'john-secret-pw' });
  await ops.createUser({ tenant: 'management', username: 'jill', password: 'jill-secret-pw', roles: ['support'], scope: ['acme'] });
}

/** What a bench run holds: its private Redis, the processes it started, its own Redis client. */
export interface BenchRun {
  redis: { url: string; where: string };
  /** Starts tracking a child: stopped when the run ends, killed if the bench dies first. */
  track(child: Child): Child;
  /** A Redis client of the bench's own, closed when the run ends. */
  own(client: RedisClient): void;
}

/** Runs `body` with a private Redis; whatever it started is stopped afterwards, even on failure. */
export async function benchRun<T>(body: (run: BenchRun) => Promise<T>): Promise<T> {
  const redisHome = await benchRedis();
  const children: Child[] = [];
  const clients: RedisClient[] = [];
  // Last resort if the bench dies between start and finally: no child outlives it.
  const killAll = () => children.forEach((c) => c.proc.exitCode === null && c.proc.kill('SIGKILL'));
  process.once('exit', killAll);
  try {
    return await body({ redis: redisHome, track: (child) => (children.push(child), child), own: (client) => void clients.push(client) });
  } finally {
    await Promise.all(clients.map((c) => closeRedis(c)));
    await Promise.all(children.map((c) => c.stop()));
    process.off('exit', killAll);
    await redisHome.stop();
  }
}
