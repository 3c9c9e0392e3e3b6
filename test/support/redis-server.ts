import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisUrlAnswers } from '../../src/demo/private-redis.js';
import { freePort } from './ports.js';

/**
 * Real redis-server processes for tests that must stop Redis or need a cluster; the shared
 * Redis on 127.0.0.1:6379 is never stopped or flushed. Needs Debian's redis-server
 * (scripts/install-system-deps.sh installs it).
 */
export function requireRedisServer(): void {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('redis-server is not installed: run scripts/install-system-deps.sh (the README test command does)');
  }
}

export async function waitForPing(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await redisUrlAnswers(`redis://127.0.0.1:${port}`))) {
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

export interface RedisProcess {
  port: number;
  url: string;
  /** Stops the server (as an outage would); `start` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startRedisProcess(extraArgs: string[] = [], port?: number): Promise<RedisProcess> {
  requireRedisServer();
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'sg-redis-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs], { stdio: 'ignore' });
    await waitForPing(p);
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((res) => c.once('exit', res));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return { port: p, url: `redis://127.0.0.1:${p}`, stop, start };
}

export interface RedisClusterProcesses {
  nodes: string[];
  stop(): Promise<void>;
}

/** A three-master Redis Cluster on loopback, for proving that no operation spans two slots. */
export async function startRedisCluster(): Promise<RedisClusterProcesses> {
  requireRedisServer();
  const dir = mkdtempSync(join(tmpdir(), 'sg-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const output: string[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort(true);
    ports.push(port);
    children.push(
      spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '5000', '--save', '', '--appendonly', 'no', '--dir', dir],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    const n = output.push('') - 1;
    children.at(-1)!.stdout!.on('data', (d: Buffer) => (output[n] += d.toString()));
    children.at(-1)!.stderr!.on('data', (d: Buffer) => (output[n] += d.toString()));
  }
  for (const [i, p] of ports.entries()) {
    await waitForPing(p).catch((err: Error) => {
      throw new Error(`${err.message}; redis-server said: ${output[i]!.slice(-500)}`);
    });
  }
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  for (const p of ports) {
    for (let i = 0; ; i++) {
      const info = spawnSync('redis-cli', ['-p', String(p), 'cluster', 'info'], { encoding: 'utf8' }).stdout;
      if (info.includes('cluster_state:ok')) break;
      if (i > 100) throw new Error(`cluster node ${p} never reached cluster_state:ok`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  return {
    nodes: ports.map((p) => `127.0.0.1:${p}`),
    stop: async () => {
      for (const c of children) c.kill('SIGKILL');
    },
  };
}
