import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Router } from 'express';
import { startGateway, type Gateway } from '../../src/main.js';
import { createLogger } from '../../src/logger.js';
import { testConfig } from '../support/env.js';
import { startRedisProcess, type RedisProcess } from '../support/redis-server.js';
import { PassThrough } from 'node:stream';

const quietLogger = () => createLogger({ logLevel: 'error', logFormat: 'json' }, new PassThrough());

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

const status = async (url: string) => (await fetch(url)).status;

describe('gateway server', () => {
  let gateway: Gateway;
  // A slow route stands in for an in-flight request during shutdown.
  const slow = Router().get('/test-slow', (_req, res) => {
    setTimeout(() => res.send('finished'), 600);
  });

  beforeAll(async () => {
    gateway = await startGateway(testConfig('server'), { logger: quietLogger(), routers: [slow] });
  });
  afterAll(async () => gateway.stop());

  it('answers /healthz, and /readyz once Redis answers and the management tenant exists', async () => {
    expect(await (await fetch(`${gateway.url}/healthz`)).json()).toEqual({ status: 'ok' });
    await until(async () => (await status(`${gateway.url}/readyz`)) === 200, 5000);
    expect(await gateway.domain.tenants.get('management')).toMatchObject({ id: 'management', status: 'active' });
  });

  it('sends helmet security headers and a request id, without x-powered-by', async () => {
    const res = await fetch(`${gateway.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('answers unknown paths with a JSON 404 from the one error handler', async () => {
    const res = await fetch(`${gateway.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found', message: 'Not found', requestId: expect.any(String) });
  });

  it('answers a browser with a page, and the admin group with JSON whatever it accepts', async () => {
    const page = await fetch(`${gateway.url}/nope`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('<h1>Request refused</h1>');
    const admin = await fetch(`${gateway.url}/admin/nope`, { headers: { accept: 'text/html' } });
    expect(admin.status).toBe(404);
    expect(admin.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('graceful shutdown', () => {
  it('finishes the in-flight request, refuses new connections, and closes Redis', async () => {
    const slow = Router().get('/test-slow', (_req, res) => {
      setTimeout(() => res.send('finished'), 500);
    });
    const gateway = await startGateway(testConfig('shutdown'), { logger: quietLogger(), routers: [slow] });
    const inFlight = new Promise<string>((resolve, reject) => {
      httpRequest(`${gateway.url}/test-slow`, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      })
        .on('error', reject)
        .end();
    });
    await new Promise((r) => setTimeout(r, 100));
    const stopped = gateway.stop();
    await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(`${gateway.url}/healthz`)).rejects.toThrow();
    expect(await inFlight).toBe('finished');
    await stopped;
    expect(gateway.redis.status).toBe('end');
  });
});

describe('readiness follows Redis', () => {
  let redis: RedisProcess;
  let gateway: Gateway;

  beforeAll(async () => {
    redis = await startRedisProcess();
    gateway = await startGateway(testConfig('readiness', { REDIS_URL: redis.url }), { logger: quietLogger() });
  });
  afterAll(async () => {
    await gateway.stop();
    await redis.stop();
  });

  it('turns 503 within 2 s of Redis stopping and 200 again when it is back, without a restart', async () => {
    await until(async () => (await status(`${gateway.url}/readyz`)) === 200, 5000);
    await redis.stop();
    const down = await until(async () => (await status(`${gateway.url}/readyz`)) === 503, 2000);
    expect(down).toBeLessThan(2000);
    const body = await (await fetch(`${gateway.url}/readyz`)).json();
    expect(body).toMatchObject({ status: 'unavailable', checks: { redis: 'down' } });
    expect(await status(`${gateway.url}/healthz`)).toBe(200);
    await redis.start();
    await until(async () => (await status(`${gateway.url}/readyz`)) === 200, 5000);
  });
});
