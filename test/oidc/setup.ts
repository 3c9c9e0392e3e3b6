import { PassThrough } from 'node:stream';
import type { Clock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startGateway, type Gateway } from '../../src/main.js';
import { operatorAdmin, type Admin } from '../../src/admin/index.js';
import { testConfig } from '../support/env.js';
import { freePort } from '../support/ports.js';

export interface OidcWorld {
  config: Config;
  gateway: Gateway;
  ops: Admin;
  url: string;
  issuer: (tenant: string) => string;
  clients: Record<string, { id: string; secret: string; redirectUri: string }>;
  stop(): Promise<void>;
}

/** A gateway on a free port with tenants acme and beta, their users, a support user and a client each. */
export async function oidcWorld(name: string, env: Record<string, string> = {}, clock?: Clock): Promise<OidcWorld> {
  const port = await freePort();
  const config = testConfig(name, { PORT: String(port), PUBLIC_URL: `http://localhost:${port}`, ...env });
  const gateway = await startGateway(config, { logger: createLogger({ logLevel: 'error', logFormat: 'json' }, new PassThrough()), ...(clock ? { clock } : {}) });
  for (let i = 0; i < 100 && (await fetch(`${gateway.url}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
  const ops = operatorAdmin(gateway.domain, { who: 'cli:test', actor: null, channel: 'cli' });
  await ops.createTenant({ id: 'acme' });
  await ops.createTenant({ id: 'beta' });
  const pw = (u: string) => `${u}-secret-pw`;
  await ops.createUser({ tenant: 'acme', username: 'john', password: pw('john') });
  await ops.createUser({ tenant: 'acme', username: 'admin', password: pw('admin'), roles: ['tenant-admin'] });
  await ops.createUser({ tenant: 'beta', username: 'bea', password: pw('bea') });
  await ops.createUser({ tenant: 'management', username: 'jill', password: pw('jill'), roles: ['support'], scope: ['acme', 'beta'] });
  await ops.createUser({ tenant: 'management', username: 'pat', password: pw('pat'), roles: ['platform-admin'] });
  const clients: OidcWorld['clients'] = {};
  for (const tenant of ['acme', 'beta']) {
    const redirectUri = `http://localhost:${port + 1}/${tenant}/callback`;
    const { clientSecret } = await ops.createClient({ tenant, clientId: `${tenant}-app`, redirectUris: [redirectUri], firstParty: true });
    clients[tenant] = { id: `${tenant}-app`, secret: clientSecret!, redirectUri };
  }
  return {
    config,
    gateway,
    ops,
    url: `http://localhost:${port}`,
    issuer: (t) => `http://localhost:${port}/t/${t}`,
    clients,
    stop: () => gateway.stop(),
  };
}
