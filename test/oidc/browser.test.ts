import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { launchChromium } from '../support/chromium.js';
import type { Browser } from 'playwright-core';
import { startDemoApp } from '../../src/demo/app.js';
import { packageRoot } from '../../src/paths.js';
import { freePort } from '../support/ports.js';
import { oidcWorld, type OidcWorld } from './setup.js';

/** The login screen in real headless Chromium, from the demo app and back. */
describe('the tenant login screen in Chromium', () => {
  let world: OidcWorld;
  let browser: Browser;
  let app: Awaited<ReturnType<typeof startDemoApp>>;
  let appUrl: string;
  const shots = join(packageRoot(), 'test-results');

  beforeAll(async () => {
    world = await oidcWorld('oidc-browser');
    const appPort = await freePort();
    appUrl = `http://localhost:${appPort}`;
    const { clientSecret } = await world.ops.createClient({ tenant: 'acme', clientId: 'demo-app', redirectUris: [`${appUrl}/callback`], postLogoutRedirectUris: [`${appUrl}/`], firstParty: true });
    app = await startDemoApp({ issuer: world.issuer('acme'), clientId: 'demo-app', clientSecret: clientSecret!, port: appPort, baseUrl: appUrl });
    browser = await launchChromium();
    mkdirSync(shots, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await world?.stop();
  });

  it('jill signs in as jill$john and the app shows "jill (support) as john"; signing out ends it', async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'john', reason: 'browser test' });
    const page = await browser.newPage();
    const cspErrors: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    await page.goto(`${appUrl}/`);
    await page.getByRole('button', { name: 'Sign in with ACME' }).click();
    await page.waitForURL(/\/t\/acme\/interaction\//);
    expect(await page.getByLabel('Tenant ID').inputValue()).toBe('acme');
    await page.getByLabel('Username').fill('jill$john');
    await page.getByLabel('Password').fill('jill-secret-pw');
    await page.screenshot({ path: join(shots, 'login-screen.png') });
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${appUrl}/`);
    await expect(page.locator('#identity').textContent()).resolves.toBe('jill (support) as john');
    await page.screenshot({ path: join(shots, 'demo-app-support.png') });
    expect(cspErrors).toEqual([]);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/t\/acme\/session\/end/);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${appUrl}/`);
    await expect(page.getByRole('button', { name: 'Sign in with ACME' }).isVisible()).resolves.toBe(true);
    expect(cspErrors).toEqual([]);
  }, 60_000);

  it('shows a wrong password on the form itself, keeping what was typed', async () => {
    const page = await browser.newPage();
    await page.goto(`${appUrl}/login`);
    await page.getByLabel('Username').fill('john');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Invalid username or password');
    expect(await page.getByLabel('Username').inputValue()).toBe('john');
    await page.screenshot({ path: join(shots, 'login-error.png') });
  }, 30_000);
});
