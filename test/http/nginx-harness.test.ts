import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startEchoUpstream, prefersHtml, type EchoUpstream } from '../support/echo-upstream.js';
import { packageRoot } from '../../src/paths.js';
import { nginxConfig, startNginx, type RunningNginx } from '../support/nginx.js';

// The harness that puts a real nginx (auth_request) in front of the gateway, checked against a
// stub /auth/verify so that a later failure in the forward-auth suites is the gateway's, not this.

interface StubGateway {
  port: number;
  /** Headers of every /auth/verify subrequest, in order. */
  seen: IncomingHttpHeaders[];
  stop(): Promise<void>;
}

/** Answers /auth/verify like the gateway will: 200 + identity for `Bearer good`, 403 for `Bearer forbidden`, else 401. */
async function startStubGateway(): Promise<StubGateway> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    if (req.url !== '/auth/verify') {
      res.writeHead(404).end();
      return;
    }
    seen.push(req.headers);
    const auth = req.headers.authorization;
    if (auth === 'Bearer good' || req.headers.cookie === 'sg=good') {
      res.writeHead(200, { 'X-Auth-User': 'john', 'X-Auth-Audit-Name': 'john' }).end();
    } else if (auth === 'Bearer forbidden') {
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":"forbidden"}');
    } else {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthenticated"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** fetch cannot set Host; this can. Returns status, headers and body. */
function rawRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end(opts.body);
  });
}

describe('nginx forward-auth harness', () => {
  let upstream: EchoUpstream;
  let gateway: StubGateway;
  let nginx: RunningNginx;
  let withSignin: RunningNginx;

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    gateway = await startStubGateway();
    nginx = await startNginx({ gatewayPort: gateway.port, upstreamPort: upstream.port });
    withSignin = await startNginx({ gatewayPort: gateway.port, upstreamPort: upstream.port, signinUrl: 'https://login.example.test/' });
  });
  afterAll(async () => {
    await Promise.all([nginx?.stop(), withSignin?.stop()]);
    await Promise.all([upstream?.stop(), gateway?.stop()]);
  });
  afterEach(() => {
    upstream.requests.length = 0;
    gateway.seen.length = 0;
  });

  const logs = () => `nginx:\n${nginx.log()}\nnginx with signin:\n${withSignin.log()}`;

  it('lets a signed-in GET through with the identity the gateway answered, and tells the gateway the original request', async () => {
    const res = await rawRequest(`${nginx.url}/hello?x=1`, { headers: { authorization: 'Bearer good', host: 'app.example.test' } });
    expect({ status: res.status, logs: res.status === 200 ? '' : logs() }).toEqual({ status: 200, logs: '' });
    expect(JSON.parse(res.body)).toMatchObject({ method: 'GET', path: '/hello?x=1' });
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.headers).toMatchObject({ 'x-auth-user': 'john', 'x-auth-audit-name': 'john', host: 'app.example.test' });
    expect(gateway.seen).toHaveLength(1);
    expect(gateway.seen[0]).toMatchObject({
      'x-forwarded-method': 'GET',
      'x-forwarded-uri': '/hello?x=1',
      'x-forwarded-host': 'app.example.test',
      'x-forwarded-proto': 'http',
      'x-forwarded-for': '127.0.0.1',
      authorization: 'Bearer good',
    });
  });

  it('sends a POST on with its body, tells the gateway it was a POST, and gives the gateway no body', async () => {
    const res = await rawRequest(`${nginx.url}/items`, {
      method: 'POST',
      headers: { authorization: 'Bearer good', 'content-type': 'application/json' },
      body: '{"name":"widget"}',
    });
    expect(res.status).toBe(200);
    expect(upstream.requests).toEqual([expect.objectContaining({ method: 'POST', path: '/items' })]);
    expect(upstream.requests[0]!.headers['content-length']).toBe('17');
    expect(gateway.seen).toHaveLength(1);
    expect(gateway.seen[0]).toMatchObject({ 'x-forwarded-method': 'POST', 'x-forwarded-uri': '/items' });
    expect(gateway.seen[0]!['content-length']).toBeUndefined();
  });

  it('passes the session cookie to the gateway', async () => {
    const res = await fetch(`${nginx.url}/page`, { headers: { cookie: 'sg=good' } });
    expect(res.status).toBe(200);
    expect(gateway.seen[0]!.cookie).toBe('sg=good');
  });

  it('refuses a request without a token with 401, and the upstream never sees it', async () => {
    const res = await fetch(`${nginx.url}/hello?x=1`);
    expect(res.status).toBe(401);
    expect(gateway.seen).toHaveLength(1);
    expect(upstream.requests).toEqual([]);
  });

  it('refuses a forbidden request with 403, and the upstream never sees it', async () => {
    const res = await fetch(`${nginx.url}/admin`, { method: 'POST', headers: { authorization: 'Bearer forbidden' }, body: 'x' });
    expect(res.status).toBe(403);
    expect(upstream.requests).toEqual([]);
  });

  it('does not let a client smuggle its own identity headers to the upstream', async () => {
    await fetch(`${nginx.url}/hello`, { headers: { authorization: 'Bearer good', 'x-auth-user': 'admin', 'x-auth-tenant': 'acme', 'x-auth-token': 'forged' } });
    expect(upstream.requests).toHaveLength(1);
    const h = upstream.requests[0]!.headers;
    expect(h['x-auth-user']).toBe('john');
    expect(h['x-auth-tenant']).toBeUndefined();
    expect(h['x-auth-token']).toBeUndefined();

    const refused = await fetch(`${nginx.url}/hello`, { headers: { 'x-auth-user': 'admin' } });
    expect(refused.status).toBe(401);
    expect(upstream.requests).toHaveLength(1);
  });

  it('with a sign-in URL, sends a browser without a session to sign in and back, and still forbids with 403', async () => {
    const res = await rawRequest(`${withSignin.url}/docs/a?b=1`, { headers: { host: 'app.example.test:8080' } });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('https://login.example.test/auth/signin?rd=http://app.example.test:8080/docs/a?b=1');
    expect(upstream.requests).toEqual([]);
    expect((await fetch(`${withSignin.url}/x`, { headers: { authorization: 'Bearer forbidden' } })).status).toBe(403);
    expect((await fetch(`${withSignin.url}/x`, { headers: { authorization: 'Bearer good' } })).status).toBe(200);
  });

  it('the echo upstream shows a browser the identity headers as a page, escaped', async () => {
    const res = await fetch(`${upstream.url}/p?<b>`, { headers: { accept: 'text/html,*/*;q=0.8', 'x-auth-user': '<script>alert(1)</script>' } });
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(prefersHtml('application/json, text/html;q=0.5')).toBe(false);
    expect(prefersHtml('*/*')).toBe(false);
  });

  it('writes a whole private nginx.conf for the tests and a bare server block for the README', () => {
    const whole = nginxConfig({ gateway: '127.0.0.1:1', upstream: '127.0.0.1:2', listen: '127.0.0.1:3', prefix: '/tmp/x' });
    expect(whole).toContain('pid /tmp/x/nginx.pid;');
    expect(whole).toContain('daemon off;');
    const block = nginxConfig({ gateway: 'gateway:3000', upstream: 'app:8080', listen: '80' });
    expect(block.startsWith('server {')).toBe(true);
    expect(block).not.toContain('pid ');
    expect(() => nginxConfig({ gateway: 'g', upstream: 'u', listen: '1', signinUrl: 'https://x; evil' })).toThrow('signinUrl');
  });

  it('the README shows the very nginx config these tests run', () => {
    const readme = readFileSync(`${packageRoot()}/README.md`, 'utf8');
    const shown = nginxConfig({ gateway: 'gateway:3000', upstream: 'app:8080', listen: '80', signinUrl: 'https://login.example.com' });
    expect(readme).toContain('```nginx\n' + shown + '```\n');
  });
});
