import * as client from 'openid-client';
import { Browser, relyingParty, type RelyingParty } from '../../bench/oidc-client.js';
import { operatorAdmin, type Admin } from '../../src/admin/index.js';
import type { Config } from '../../src/config.js';
import type { Domain } from '../../src/domain.js';
import { ensureManagementTenant } from '../../src/tenants/tenants.js';
import { openDomain, testConfig } from '../support/env.js';
import { freePort } from '../support/ports.js';
import { RunningProcess } from '../support/process.js';

/** The host acme's apps are served on (forward-auth finds the tenant by it). */
export const APP_HOST = 'app.acme.test';

/** A `supportgate serve` process with metrics on, and the world it serves, seeded from the test. */
export interface MetricsWorld {
  config: Config;
  domain: Domain;
  ops: Admin;
  server: RunningProcess;
  url: string;
  metricsUrl: string;
  rp: RelyingParty;
  stop(): Promise<void>;
}

/** Every request on a connection of its own: the primary of `--workers N` hands connections to the workers in turn. */
export class FreshConnectionBrowser extends Browser {
  override request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('connection', 'close');
    return super.request(url, { ...init, headers });
  }
}

/**
 * Tenant acme (apps on app.acme.test) with john, its admin and the support user jill, a client,
 * and the gateway started as operators start it: `bin/supportgate.js serve`, METRICS_PORT set.
 */
export async function metricsWorld(name: string, args: string[] = []): Promise<MetricsWorld> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const config = testConfig(name);
  const { domain, close } = await openDomain(config);
  await ensureManagementTenant(domain.tenants, domain.clock);
  const ops = operatorAdmin(domain, { who: 'cli:test', actor: null, channel: 'cli' });
  await ops.createTenant({ id: 'acme', domains: [APP_HOST] });
  await ops.createUser({ tenant: 'acme', username: 'john', password: 'john-secret-pw' });
  await ops.createUser({ tenant: 'acme', username: 'admin', password: 'admin-secret-pw', roles: ['tenant-admin'] });
  await ops.createUser({ tenant: 'management', username: 'jill', password: 'jill-secret-pw', roles: ['support'], scope: ['acme'] });
  const redirectUri = `http://localhost:${port + 1}/acme/callback`;
  const { clientSecret } = await ops.createClient({ tenant: 'acme', clientId: 'acme-app', redirectUris: [redirectUri], firstParty: true });
  const server = new RunningProcess(process.execPath, ['bin/supportgate.js', 'serve', ...args], {
    PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'info', LOG_FORMAT: 'json', PORT: String(port), PUBLIC_URL: `http://localhost:${port}`,
    REDIS_URL: config.redis.url, REDIS_PREFIX: config.redis.prefix, DATA_DIR: config.dataDir,
    METRICS_PORT: String(metricsPort), TRUST_PROXY: 'loopback',
  });
  const url = `http://localhost:${port}`;
  try {
    await server.waitForOutput(args.includes('--workers') ? 'workers listening' : 'listening on port', 30_000);
    for (let i = 0; i < 200 && (await fetch(`${url}/readyz`, { headers: { connection: 'close' } }).then((r) => r.status, () => 0)) !== 200; i++) await new Promise((r) => setTimeout(r, 50));
    const rp = await relyingParty(`${url}/t/acme`, 'acme-app', clientSecret!, redirectUri);
    return {
      config, domain, ops, server, url, rp,
      metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      stop: async () => {
        server.signal('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([server.exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
        clearTimeout(timer);
        await server.kill();
        await close();
      },
    };
  } catch (err) {
    await server.kill();
    await close();
    throw err;
  }
}

/** A refresh with the RP's client, as the app would. */
export const refresh = (rp: RelyingParty, refreshToken: string) => client.refreshTokenGrant(rp.config, refreshToken);
