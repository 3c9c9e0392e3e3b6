import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { relyingParty, signIn } from '../../bench/oidc-client.js';
import { startGateway } from '../../src/main.js';
import { createLogger } from '../../src/logger.js';
import { PassThrough } from 'node:stream';
import { oidcWorld, type OidcWorld } from '../oidc/setup.js';
import { runProcess } from '../support/cli.js';
import { testConfig, testPrefix } from '../support/env.js';
import { freePort } from '../support/ports.js';

const quiet = () => createLogger({ logLevel: 'error', logFormat: 'json' }, new PassThrough());

/** A port something else already listens on. */
async function takenPort(): Promise<{ port: number; server: Server }> {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, server };
}

describe('the metrics listener of a gateway', () => {
  let on: OidcWorld;
  let off: OidcWorld;
  let metricsPort: number;

  beforeAll(async () => {
    metricsPort = await freePort();
    [on, off] = await Promise.all([oidcWorld('metrics-on', { METRICS_PORT: String(metricsPort) }), oidcWorld('metrics-off')]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([on?.stop(), off?.stop()]);
  });

  it('listens on METRICS_HOST:METRICS_PORT, and the public port has no /metrics', async () => {
    expect(on.gateway.metricsPort).toBe(metricsPort);
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE supportgate_logins_total counter');
    expect((await fetch(`${on.url}/metrics`)).status).toBe(404);
  });

  it('with METRICS_PORT unset, measures nothing and listens nowhere else', async () => {
    expect(off.gateway.metrics).toBeNull();
    expect(off.gateway.metricsPort).toBeNull();
    expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
  });

  it('counts a refused login in the process that served it', async () => {
    const rp = await relyingParty(on.issuer('acme'), 'acme-app', on.clients.acme!.secret, on.clients.acme!.redirectUri);
    expect((await signIn(rp, 'nobody', 'whatever-pw')).ok).toBe(false);
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toContain('supportgate_logins_total{kind="user",outcome="refused",cause="unknown-user"} 1');
  });

  it('stopping the gateway closes its metrics listener', async () => {
    const port = await freePort();
    const w = await oidcWorld('metrics-stop', { METRICS_PORT: String(port) });
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    await w.stop();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  }, 30_000);
});

describe('a metrics port that cannot be had stops the start, saying which setting', () => {
  it('startGateway rejects, naming METRICS_PORT, and leaves nothing listening', async () => {
    const { port, server } = await takenPort();
    try {
      const publicPort = await freePort();
      const config = testConfig('metrics-taken', { PORT: String(publicPort), METRICS_PORT: String(port) });
      await expect(startGateway(config, { logger: quiet() })).rejects.toThrow(`metrics.port (METRICS_PORT), metrics.host (METRICS_HOST): cannot listen on 127.0.0.1:${port}: the port is already in use`);
      await expect(fetch(`http://127.0.0.1:${publicPort}/readyz`)).rejects.toThrow();
    } finally {
      server.close();
    }
  });

  it('serve --workers 2 exits 78 with the same line before starting any worker', async () => {
    const { port, server } = await takenPort();
    try {
      const r = await runProcess(process.execPath, ['bin/supportgate.js', 'serve', '--workers', '2'], {
        PATH: process.env.PATH, NODE_ENV: 'test', PORT: String(await freePort()), METRICS_PORT: String(port), REDIS_PREFIX: testPrefix('metrics-taken-primary'), LOG_FORMAT: 'json',
      });
      expect(r.code).toBe(78);
      expect(r.stderr.trim()).toBe(`supportgate: invalid configuration: metrics.port (METRICS_PORT), metrics.host (METRICS_HOST): cannot listen on 127.0.0.1:${port}: the port is already in use`);
    } finally {
      server.close();
    }
  }, 30_000);
});
