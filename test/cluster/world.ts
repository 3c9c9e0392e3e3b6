import { operatorAdmin, type Admin } from '../../src/admin/index.js';
import type { AuditEntry } from '../../src/audit/entry.js';
import type { Config } from '../../src/config.js';
import { loadAuditDigestKey } from '../../src/secrets/keys.js';
import { ensureManagementTenant } from '../../src/tenants/tenants.js';
import { relyingParty, type RelyingParty } from '../../bench/oidc-client.js';
import { cliProcess, type CliResult } from '../support/cli.js';
import { openDomain, testConfig } from '../support/env.js';
import { startLoadBalancer, type RunningLoadBalancer } from '../support/load-balancer.js';
import { freePort } from '../support/ports.js';
import { RunningProcess } from '../support/process.js';
import { startRedisCluster, type RedisClusterProcesses } from '../support/redis-server.js';
import { Traffic } from './traffic.js';

export const password = (username: string) => `${username}-secret-pw`;

/**
 * Production's shape on one machine: a Redis Cluster of three masters with a replica each, two
 * `supportgate serve` processes on it (one worker each, the same keys under one DATA_DIR), and
 * nginx balancing them round robin on the one public URL. Tenants acme and beta, john and admin
 * in acme, bea in beta, jill a support user of both, a first-party app per tenant.
 */
export interface ClusterWorld {
  cluster: RedisClusterProcesses;
  gateways: RunningProcess[];
  /** `127.0.0.1:port` of each gateway, as nginx's X-Upstream names them. */
  gatewayAddresses: string[];
  lb: RunningLoadBalancer;
  url: string;
  config: Config;
  ops: Admin;
  traffic: Traffic;
  rp: Record<'acme' | 'beta', RelyingParty>;
  /** Runs the built `supportgate` command against this world's cluster, prefix and keys. */
  cli(argv: string[]): Promise<CliResult>;
  /** Every audit entry of a tenant, through `supportgate audit query --format jsonl`. */
  auditOf(tenant: string): Promise<AuditEntry[]>;
  stop(): Promise<void>;
}

export interface ClusterWorldOptions {
  nodeTimeoutMs?: number;
  commandTimeoutMs?: number;
  /**
   * More settings for the gateways and the CLI (e.g. `REDIS_REPLICA_ACKS`); not for the world's
   * own setup (tenants, users, clients written before the gateways start).
   */
  env?: Record<string, string>;
}

export async function clusterWorld(name: string, opts: ClusterWorldOptions = {}): Promise<ClusterWorld> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const cluster = await startRedisCluster({ replicas: 1, nodeTimeoutMs: opts.nodeTimeoutMs ?? 2000 });
    cleanups.push(() => cluster.stop());
    const lbPort = await freePort();
    const url = `http://127.0.0.1:${lbPort}`;
    const config = testConfig(name, {
      REDIS_CLUSTER_NODES: cluster.nodes.join(','),
      PUBLIC_URL: url,
      // nginx reaches the gateways from loopback; only its forwarded headers are believed.
      TRUST_PROXY: '127.0.0.1',
      ...(opts.commandTimeoutMs ? { REDIS_COMMAND_TIMEOUT_MS: String(opts.commandTimeoutMs) } : {}),
    });

    // The keys every gateway must share (signing, cookies, client secrets, audit digests), made
    // once here in DATA_DIR before any gateway reads them.
    const { domain, close } = await openDomain(config);
    cleanups.push(close);
    loadAuditDigestKey(config);
    await ensureManagementTenant(domain.tenants, domain.clock);
    const ops = operatorAdmin(domain, { who: 'cli:test', actor: null, channel: 'cli' });
    await ops.createTenant({ id: 'acme' });
    await ops.createTenant({ id: 'beta' });
    await ops.createUser({ tenant: 'acme', username: 'john', password: password('john') });
    await ops.createUser({ tenant: 'acme', username: 'admin', password: password('admin'), roles: ['tenant-admin'] });
    await ops.createUser({ tenant: 'beta', username: 'bea', password: password('bea') });
    await ops.createUser({ tenant: 'management', username: 'jill', password: password('jill'), roles: ['support'], scope: ['acme', 'beta'] });
    const clients: Record<string, { secret: string; redirectUri: string }> = {};
    for (const tenant of ['acme', 'beta']) {
      const redirectUri = `http://localhost:${lbPort + 1}/${tenant}/callback`;
      const { clientSecret } = await ops.createClient({ tenant, clientId: `${tenant}-app`, redirectUris: [redirectUri], firstParty: true });
      clients[tenant] = { secret: clientSecret!, redirectUri };
    }

    const env = {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      PUBLIC_URL: url,
      TRUST_PROXY: '127.0.0.1',
      REDIS_CLUSTER_NODES: config.redis.clusterNodes.join(','),
      REDIS_PREFIX: config.redis.prefix,
      REDIS_COMMAND_TIMEOUT_MS: String(config.redis.commandTimeoutMs),
      DATA_DIR: config.dataDir,
      ...opts.env,
    };
    const gateways: RunningProcess[] = [];
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      let port = await freePort();
      while (port === lbPort || ports.includes(port)) port = await freePort();
      ports.push(port);
      const gateway = new RunningProcess(process.execPath, ['bin/supportgate.js', 'serve', '--workers', '1'], { ...env, PORT: String(port), LOG_LEVEL: 'info' });
      gateways.push(gateway);
      cleanups.push(async () => {
        gateway.signal('SIGTERM');
        const timer = setTimeout(() => void gateway.kill(), 5000);
        await gateway.exited;
        clearTimeout(timer);
      });
    }
    for (const g of gateways) await g.waitForOutput('listening on port', 30_000);

    const lb = await startLoadBalancer({ upstreamPorts: ports, port: lbPort });
    cleanups.push(() => lb.stop());
    for (let ready = 0, i = 0; ready < 4; i++) {
      if (i > 200) throw new Error(`the gateways behind nginx never became ready:\n${lb.log()}`);
      ready = (await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) === 200 ? ready + 1 : 0;
      if (ready < 4) await new Promise((r) => setTimeout(r, 50));
    }

    const traffic = new Traffic(url);
    traffic.install();
    cleanups.push(async () => traffic.uninstall());
    const rp = {
      acme: await relyingParty(`${url}/t/acme`, 'acme-app', clients.acme!.secret, clients.acme!.redirectUri),
      beta: await relyingParty(`${url}/t/beta`, 'beta-app', clients.beta!.secret, clients.beta!.redirectUri),
    };

    const cliEnv = { ...env, LOG_LEVEL: 'error' };
    const cli = (argv: string[]) => cliProcess(argv, cliEnv);
    const auditOf = async (tenant: string) => {
      const r = await cli(['audit', 'query', '--tenant', tenant, '--format', 'jsonl']);
      if (r.code !== 0) throw new Error(`audit query --tenant ${tenant} failed (${r.code}): ${r.stderr}`);
      return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEntry);
    };
    return { cluster, gateways, gatewayAddresses: ports.map((p) => `127.0.0.1:${p}`), lb, url, config, ops, traffic, rp, cli, auditOf, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
