import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

export interface RedisClusterOptions {
  /** Replicas per master: 0 (three nodes, the default) or 1 (three masters and three replicas). */
  replicas?: 0 | 1;
  /** `cluster-node-timeout`: how long a silent node takes to be failed (and its replica promoted). */
  nodeTimeoutMs?: number;
}

export interface RedisClusterProcesses {
  /** Every node, `127.0.0.1:port`, masters and replicas. */
  nodes: string[];
  /** The pid of the redis-server on `node` (for SIGKILL, SIGSTOP, SIGCONT as a failure would). */
  pidOf(node: string): number;
  /** Sends `signal` to the node's process; with SIGKILL, resolves once it has exited. */
  signal(node: string, signal: NodeJS.Signals): Promise<void>;
  /** Starts a node that was killed again, on its port and cluster config (it comes back empty). */
  start(node: string): Promise<void>;
  stop(): Promise<void>;
}

function redisCli(args: string[]): string {
  const r = spawnSync('redis-cli', args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

/** Each master of the cluster with the node that replicates it, as CLUSTER NODES on `port` says. */
export function clusterTopology(port: number): { master: string; replicas: string[] }[] {
  const lines = redisCli(['-p', String(port), 'cluster', 'nodes']).trim().split('\n');
  const nodes = lines.map((l) => {
    const [id, address, flags, masterId] = l.split(' ');
    return { id: id!, node: address!.split('@')[0]!, flags: flags!.split(','), masterId: masterId! };
  });
  return nodes
    .filter((n) => n.flags.includes('master') && !n.flags.includes('fail'))
    .map((m) => ({ master: m.node, replicas: nodes.filter((r) => r.masterId === m.id && !r.flags.includes('fail')).map((r) => r.node) }));
}

/** True once every replica of the cluster is connected to its master and done syncing. */
function replicasInSync(ports: number[]): boolean {
  const topology = clusterTopology(ports[0]!);
  if (topology.length !== 3 || topology.some((t) => t.replicas.length !== 1)) return false;
  return topology.every((t) => {
    const master = redisCli(['-p', t.master.split(':')[1]!, 'info', 'replication']);
    const replica = redisCli(['-p', t.replicas[0]!.split(':')[1]!, 'info', 'replication']);
    return /connected_slaves:1/.test(master) && /slave0:[^\n]*state=online/.test(master) && /master_link_status:up/.test(replica) && /master_sync_in_progress:0/.test(replica);
  });
}

/**
 * A Redis Cluster on loopback: three masters for proving that no operation spans two slots, or
 * with `replicas: 1` three masters each with a replica, for failing a master over. Resolves once
 * every node says cluster_state:ok, all agree on the slots and every replica is in sync.
 */
export async function startRedisCluster(opts: RedisClusterOptions = {}): Promise<RedisClusterProcesses> {
  requireRedisServer();
  const replicas = opts.replicas ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'sg-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const output: string[] = [];
  // A node keeps its port and nodes-<port>.conf across a restart, so it rejoins the cluster as itself.
  const spawnNode = (i: number): ChildProcess => {
    const port = ports[i]!;
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', String(opts.nodeTimeoutMs ?? 5000), '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d: Buffer) => (output[i] += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output[i] += d.toString()));
    return child;
  };
  const stop = async () => {
    await Promise.all(
      children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise((res) => c.once('exit', res));
        c.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3 * (1 + replicas); i++) {
      let port = await freePort(true);
      while (ports.includes(port)) port = await freePort(true);
      ports.push(port);
      output.push('');
      children.push(spawnNode(ports.length - 1));
    }
    for (const [i, p] of ports.entries()) {
      await waitForPing(p).catch((err: Error) => {
        throw new Error(`${err.message}; redis-server said: ${output[i]!.slice(-500)}`);
      });
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { encoding: 'utf8' });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (const p of ports) {
      for (let i = 0; ; i++) {
        const info = spawnSync('redis-cli', ['-p', String(p), 'cluster', 'info'], { encoding: 'utf8' }).stdout;
        if (info.includes('cluster_state:ok')) break;
        if (i > 100) throw new Error(`cluster node ${p} never reached cluster_state:ok`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    if (replicas > 0) {
      for (let i = 0; ; i++) {
        const check = spawnSync('redis-cli', ['--cluster', 'check', `127.0.0.1:${ports[0]}`], { encoding: 'utf8' });
        if (check.status === 0 && /All nodes agree about slots configuration/.test(check.stdout) && replicasInSync(ports)) break;
        if (i > 300) throw new Error(`the cluster's replicas never came in sync:\n${check.stdout}${redisCli(['-p', String(ports[0]), 'cluster', 'nodes'])}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const indexOf = (node: string) => {
    const i = ports.indexOf(Number(node.split(':')[1]));
    if (i < 0) throw new Error(`${node} is not a node of this cluster`);
    return i;
  };
  const childOf = (node: string) => children[indexOf(node)]!;
  return {
    nodes: ports.map((p) => `127.0.0.1:${p}`),
    pidOf: (node) => childOf(node).pid!,
    signal: async (node, signal) => {
      const c = childOf(node);
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((res) => c.once('exit', res));
      c.kill(signal);
      if (signal === 'SIGKILL') await exited;
    },
    start: async (node) => {
      const i = indexOf(node);
      const c = children[i]!;
      if (c.exitCode === null && c.signalCode === null) throw new Error(`${node} is still running`);
      children[i] = spawnNode(i);
      await waitForPing(ports[i]!);
    },
    stop,
  };
}
