import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { launchChromium } from '../support/chromium.js';
import type { Browser } from 'playwright-core';
import type { OidcWorld } from '../oidc/setup.js';
import { forwardAuthWorld, SHOP_HOST as HOST } from './world.js';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
import { seriousAxeViolations } from '../support/axe.js';
import { packageRoot } from '../../src/paths.js';

/** Screenshots from the test run (test-results/, not committed; look at them). */
const SHOTS = join(packageRoot(), 'test-results', 'forward-auth');

/**
 * Apps that do not speak OIDC behind real nginx (`auth_request` to /auth/verify), with real
 * tokens and a real browser sign-in: every request carries both identities, read-only mode holds,
 * and a support session's cookie dies with its access.
 */
describe('forward-auth behind real nginx', () => {
  let world: OidcWorld;
  let upstream: EchoUpstream;
  let nginx: RunningNginx;
  let browser: Browser;
  let john: string;
  let jill: string;
  let bea: string;

  /** A request to the app through nginx, as a client on shop's host would send it. */
  const through = (path: string, opts: { method?: string; token?: string; cookie?: string } = {}) =>
    new Promise<{ status: number; location: string | undefined; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: nginx.port, path, method: opts.method ?? 'GET', headers: { host: `${HOST}:${nginx.port}`, ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.cookie ? { cookie: opts.cookie } : {}) } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
      });
      req.on('error', reject);
      req.end();
    });
  const seen = () => upstream.requests[upstream.requests.length - 1]!;
  const decisions = async () => (await world.ops.queryAudit({ tenant: 'shop', action: 'forward-auth.*' }, 500)).entries;

  beforeAll(async () => {
    ({ world, john, jill, bea } = await forwardAuthWorld('forward-auth-nginx'));
    // A tenant with two apps under one cookie domain: one sign-in serves both.
    await world.ops.createTenant({ id: 'suite', domains: ['app.suite.example.test', 'admin.suite.example.test'], cookieDomain: 'suite.example.test' });
    await world.ops.createUser({ tenant: 'suite', username: 'sam', password: 'sam-secret-pw' });
    upstream = await startEchoUpstream();
    nginx = await startNginx({ gatewayPort: world.gateway.port, upstreamPort: upstream.port, signinUrl: world.url });
    browser = await launchChromium(['--host-resolver-rules=MAP *.example.test 127.0.0.1']);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await nginx?.stop();
    await upstream?.stop();
    await world?.stop();
  });

  it("john's GET passes and the upstream sees john; jill's carries both identities", async () => {
    expect((await through('/orders?page=2', { token: john })).status).toBe(200);
    expect(seen()).toMatchObject({ method: 'GET', path: '/orders?page=2', headers: { 'x-auth-user': 'john', 'x-auth-tenant': 'shop', 'x-auth-audit-name': 'john' } });
    // No actor for an ordinary session, and nothing a client sends can put one there (nginx sets each header).
    expect(seen().headers['x-auth-actor']).toBeUndefined();
    expect((await through('/orders/7', { token: jill })).status).toBe(200);
    expect(seen().headers).toMatchObject({ 'x-auth-user': 'john', 'x-auth-actor': 'jill', 'x-auth-audit-name': 'jill$john' });
    const allowed = (await decisions()).filter((e) => e.action === 'forward-auth.allowed');
    expect(allowed.map((e) => [e.who, e.details.method, e.details.path])).toEqual(expect.arrayContaining([['john', 'GET', '/orders?page=2'], ['jill$john', 'GET', '/orders/7']]));
  });

  it("read-only mode: jill's POST is 403 and never reaches the app; john's POST passes", async () => {
    await world.ops.setSetting('support.mode', 'read-only', 'shop');
    try {
      const before = upstream.requests.length;
      expect((await through('/orders/8', { method: 'POST', token: jill })).status).toBe(403);
      expect(upstream.requests.length).toBe(before);
      expect((await through('/orders/9', { method: 'POST', token: john })).status).toBe(200);
      expect(seen()).toMatchObject({ method: 'POST', path: '/orders/9' });
      expect((await decisions()).find((e) => e.details.path === '/orders/8')).toMatchObject({ action: 'forward-auth.denied', who: 'jill$john', details: { method: 'POST', status: 403 } });
    } finally {
      await world.ops.setSetting('support.mode', 'inherit', 'shop');
    }
  });

  it("a token of another tenant on shop's host is 401 (an API client gets the 401, no app page)", async () => {
    const before = upstream.requests.length;
    const answer = await through('/orders', { token: bea });
    expect([401, 302]).toContain(answer.status);
    expect(upstream.requests.length).toBe(before);
  });

  it('/auth/signin with rd to a foreign host is refused', async () => {
    const a = await fetch(`${world.url}/auth/signin?rd=${encodeURIComponent('https://evil.example.net/x')}`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(a.status).toBe(400);
    expect(await a.text()).toContain('must be an http(s) address on a domain of a tenant');
  });

  it('jill signs in through nginx in Chromium and lands on the app showing both identities; her cookie means nothing on another tenant’s host; after the admin closes support her next request is 401 and her cookie is dead', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://${HOST}:${nginx.port}/dashboard`);
    await page.waitForURL(/\/t\/shop\/interaction\//);
    await page.getByLabel('Username').fill('jill$john');
    await page.getByLabel('Password').fill('jill-secret-pw');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`http://${HOST}:${nginx.port}/dashboard`);
    const shown = await page.locator('table').textContent();
    expect(shown).toContain('jill$john');
    expect(shown).toContain('jill');
    const cookie = (await context.cookies(`http://${HOST}:${nginx.port}`)).find((c) => c.name === 'sg_fa')!;
    expect(cookie.httpOnly).toBe(true);
    expect(seen().headers).toMatchObject({ 'x-auth-user': 'john', 'x-auth-actor': 'jill', 'x-auth-audit-name': 'jill$john' });

    // shop's cookie on another tenant's host: not signed in there.
    const elsewhere = await fetch(`${world.url}/auth/verify`, { headers: { cookie: `sg_fa=${cookie.value}`, 'x-forwarded-host': 'mart.example.test', 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/' } });
    expect(elsewhere.status).toBe(401);

    await world.ops.closeSupport({ tenant: 'shop', username: 'admin' });
    const after = await through('/dashboard', { cookie: `sg_fa=${cookie.value}` });
    expect(after.status).toBe(302); // nginx turns the 401 into the sign-in
    expect(after.location).toContain('/auth/signin?rd=');
    // The session behind the cookie is gone, not only refused once.
    const again = await fetch(`${world.url}/auth/verify`, { headers: { cookie: `sg_fa=${cookie.value}`, 'x-forwarded-host': HOST, 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/' } });
    expect(again.status).toBe(401);
    const denied = (await decisions()).filter((e) => e.action === 'forward-auth.denied' && e.details.path === '/dashboard');
    expect(denied.length).toBeGreaterThan(0);
  }, 60_000);

  /** Signs in through nginx in a fresh browser context at `url` (the app sends the browser to the tenant's login). */
  async function signInAt(url: string, username: string, password: string) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForURL(/\/interaction\//);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(url);
    return { context, page };
  }

  it('john signs out at /auth/signout: the issuer signs him out too, the signed-out page leads back to the app, and the app asks for his password again', async () => {
    const app = `http://${HOST}:${nginx.port}/orders`;
    const { context, page } = await signInAt(app, 'john', 'john-secret-pw');
    expect(await page.locator('table').textContent()).toContain('john');
    const cookie = (await context.cookies(`http://${HOST}:${nginx.port}`)).find((c) => c.name === 'sg_fa')!;

    await page.goto(`http://${HOST}:${nginx.port}/auth/signout`);
    await page.getByRole('button', { name: 'Sign out' }).click(); // the issuer's own confirmation
    await page.waitForURL(/\/auth\/signed-out/);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'signed-out.png') });
    expect(await seriousAxeViolations(page)).toEqual([]);
    const back = page.getByRole('link', { name: `Back to ${HOST}:${nginx.port}` });
    expect(await back.getAttribute('href')).toBe(`http://${HOST}:${nginx.port}/`);
    expect((await context.cookies(`http://${HOST}:${nginx.port}`)).find((c) => c.name === 'sg_fa')).toBeUndefined();
    // The old cookie is dead, and the issuer's session too: the next visit asks for the password.
    expect((await through('/orders', { cookie: `sg_fa=${cookie.value}` })).status).toBe(302);
    await page.goto(app);
    await page.waitForURL(/\/interaction\//);
    await expect(page.getByLabel('Password').isVisible()).resolves.toBe(true);
    await context.close();
  }, 60_000);

  it('a tenant with a cookie domain: one sign-in on app.suite serves admin.suite, and nothing of mart or shop', async () => {
    const { context, page } = await signInAt(`http://app.suite.example.test:${nginx.port}/`, 'sam', 'sam-secret-pw');
    const cookie = (await context.cookies(`http://app.suite.example.test:${nginx.port}`)).find((c) => c.name === 'sg_fa')!;
    expect(cookie.domain).toBe('.suite.example.test');
    await page.goto(`http://admin.suite.example.test:${nginx.port}/settings`);
    expect(page.url()).toBe(`http://admin.suite.example.test:${nginx.port}/settings`); // no sign-in on the way
    expect(await page.locator('table').textContent()).toContain('sam');
    expect(seen().headers).toMatchObject({ 'x-auth-user': 'sam', 'x-auth-tenant': 'suite' });
    // The browser does not send it to shop's host; sent anyway, it means nothing there.
    expect((await context.cookies(`http://${HOST}:${nginx.port}`)).find((c) => c.name === 'sg_fa')).toBeUndefined();
    expect((await through('/', { cookie: `sg_fa=${cookie.value}` })).status).toBe(302);
    await context.close();
  }, 60_000);
});
