import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The protected application behind a forward-auth proxy in tests: it answers what it received
 * (200 JSON `{ method, path, headers }`), or, to a browser, a page showing the X-Auth-* headers,
 * and keeps every request so a test can prove which ones got through.
 */

export interface EchoedRequest {
  method: string;
  /** Path and query as the upstream received them. */
  path: string;
  headers: IncomingHttpHeaders;
}

export interface EchoUpstream {
  port: number;
  url: string;
  requests: EchoedRequest[];
  stop(): Promise<void>;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** True when the Accept header ranks text/html above application/json (a browser navigation). */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = accept.split(',').map((part) => {
    const [range = '', ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    return { range, q: Number.isFinite(q) ? q : 0 };
  });
  // The most specific matching range decides a type's quality (RFC 9110 §12.5.1).
  const quality = (type: string): number => {
    for (const candidate of [type, `${type.split('/')[0]}/*`, '*/*']) {
      const hit = ranges.filter((r) => r.range === candidate);
      if (hit.length > 0) return Math.max(...hit.map((r) => r.q));
    }
    return 0;
  };
  const html = quality('text/html');
  return html > 0 && html > quality('application/json');
}

function page(req: EchoedRequest): string {
  const rows = Object.entries(req.headers)
    .filter(([name]) => name.startsWith('x-auth-'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `<tr><th scope="row">${escapeHtml(name)}</th><td>${escapeHtml(String(value))}</td></tr>`)
    .join('');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>Echo upstream</title></head><body>',
    '<main>',
    '<h1>Echo upstream</h1>',
    `<p>${escapeHtml(req.method)} <code>${escapeHtml(req.path)}</code></p>`,
    rows ? `<table><caption>Identity headers received</caption>${rows}</table>` : '<p>No X-Auth-* headers received.</p>',
    '</main>',
    '</body></html>',
    '',
  ].join('\n');
}

export async function startEchoUpstream(): Promise<EchoUpstream> {
  const requests: EchoedRequest[] = [];
  const server = createServer((req, res) => {
    const seen: EchoedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers };
    requests.push(seen);
    req.resume(); // drain any body; only the head is echoed
    req.once('end', () => {
      if (prefersHtml(req.headers.accept)) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page(seen));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(seen));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
