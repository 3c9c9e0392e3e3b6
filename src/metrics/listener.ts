import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';

/** Where the metrics listener binds (config `metrics`: METRICS_HOST, METRICS_PORT). */
export interface MetricsAddress {
  host: string;
  port: number;
}

export interface MetricsListener {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (and nothing else) on a listener of its own, never the public port: the
 * figures say how busy each tenant's issuers are and when Redis fails, which is the operator's
 * business only. Resolves once listening; a port that cannot be had (taken, not permitted) fails
 * the start with the configuration key to change, rather than a crash later.
 */
export async function listenMetrics(address: MetricsAddress, render: () => Promise<{ contentType: string; body: string }>, logger?: Logger): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    render().then(
      ({ contentType, body }) => void res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body),
      (err: unknown) => {
        logger?.warn(`metrics: scrape failed: ${(err as Error).message}`);
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
      },
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? 'the port is already in use' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EADDRNOTAVAIL' ? 'no such address on this machine' : e.message;
    const issue = `metrics.port (METRICS_PORT), metrics.host (METRICS_HOST): cannot listen on ${address.host}:${address.port}: ${why}`;
    throw new AppError('CONFIG_ISSUES', undefined, { cause: err, issues: [issue], params: { issues: issue } });
  }
  const port = (server.address() as AddressInfo).port;
  logger?.info(`metrics at http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}/metrics`);
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection would hold the close open.
        server.closeAllConnections();
      })),
  };
}
