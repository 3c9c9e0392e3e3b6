import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { launchChromium, screenshot } from '../support/chromium.js';
import type { Browser, BrowserContext } from 'playwright-core';
import type { AuditEntry } from '../../src/audit/entry.js';
import { packageRoot } from '../../src/paths.js';
import { oidcWorld, type OidcWorld } from '../oidc/setup.js';
import { apacheAppUrls, startApache, type RunningApache, type RunningApacheApp } from '../support/apache.js';
import { cli } from '../support/cli.js';
import { freePort } from '../support/ports.js';

const SHOTS = join(packageRoot(), 'test-results', 'rp');

/**
 * The product's promise past the gateway's edge (issue 16): when a session ends at the gateway,
 * the apps that keep their own session (mod_auth_openidc's default) drop it too, through
 * OpenID Connect Back-Channel Logout, with Apache and Chromium as they are.
 */
describe("back-channel logout ends the session inside Apache mod_auth_openidc's apps", () => {
  let world: OidcWorld;
  let apache: RunningApache;
  let browser: Browser;
  let one: RunningApacheApp;
  let two: RunningApacheApp;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    world = await oidcWorld('rp-backchannel');
    env = { NODE_ENV: 'test', PATH: process.env.PATH, REDIS_URL: world.config.redis.url, REDIS_PREFIX: world.config.redis.prefix, DATA_DIR: world.config.dataDir };
    const register = async (clientId: string, port: number) => {
      const urls = apacheAppUrls(port);
      const { clientSecret } = await world.ops.createClient({
        tenant: 'acme',
        clientId,
        redirectUris: [urls.redirectUri],
        postLogoutRedirectUris: [`${urls.base}/`],
        firstParty: true,
        backchannelLogoutUri: urls.backchannelLogoutUri,
        backchannelLogoutSessionRequired: true,
      });
      return clientSecret!;
    };
    const ports = [await freePort(), await freePort()] as const;
    apache = await startApache({
      apps: [
        { name: 'one', port: ports[0], issuer: world.issuer('acme'), clientId: 'app-one', clientSecret: await register('app-one', ports[0]), refreshBeforeExpiry: null, backchannelLogout: true },
        { name: 'two', port: ports[1], issuer: world.issuer('acme'), clientId: 'app-two', clientSecret: await register('app-two', ports[1]), refreshBeforeExpiry: null, backchannelLogout: true },
      ],
    });
    one = apache.apps.one!;
    two = apache.apps.two!;
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await apache?.stop();
    await world?.stop();
  });

  /** Opens `app` in `context`: signs in at acme's login when asked (a session at the issuer answers by itself). */
  async function open(context: BrowserContext, app: RunningApacheApp, login?: { username: string; password: string }) {
    const page = await context.newPage();
    await page.goto(app.page);
    if (login) {
      await page.waitForURL(/\/t\/acme\/interaction\//, { timeout: 10_000 });
      await page.getByLabel('Username').fill(login.username);
      await page.getByLabel('Password').fill(login.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await page.waitForURL(app.page, { timeout: 10_000 });
    return page;
  }

  /** The logout entries of a client, read with the CLI an operator uses. */
  async function logoutEntries(clientId: string): Promise<AuditEntry[]> {
    const r = await cli(['audit', 'query', '--tenant', 'acme', '--format', 'jsonl'], env);
    expect(r.code).toBe(0);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEntry)
      .filter((e) => (e.action === 'logout.delivered' || e.action === 'logout.failed') && JSON.stringify(e).includes(clientId));
  }
  async function delivered(clientId: string, before: number) {
    for (let i = 0; i < 100; i++) {
      const entries = (await logoutEntries(clientId)).filter((e) => e.action === 'logout.delivered');
      if (entries.length > before) return entries;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no logout.delivered for ${clientId}; Apache said:\n${apache.errorLog().slice(-2000)}`);
  }

  it("Disable support: the app's next page request for jill$john goes to the login page", async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'john', reason: 'back-channel test' });
    const context = await browser.newContext();
    const page = await open(context, one, { username: 'jill$john', password: 'jill-secret-pw' });
    expect(await page.locator('dd#preferred-username').textContent()).toBe('john');
    expect(await page.locator('dd#act').textContent()).toContain('jill');
    // The app's own session serves it without asking the issuer.
    await page.reload();
    expect(page.url()).toBe(one.page);

    const before = (await logoutEntries('app-one')).filter((e) => e.action === 'logout.delivered').length;
    await world.ops.closeSupport({ tenant: 'acme', username: 'john' });
    const entries = await delivered('app-one', before);
    expect(entries.at(-1)).toMatchObject({ who: 'jill$john', outcome: 'success' });

    await page.goto(one.page);
    await page.waitForURL(/\/t\/acme\/interaction\//, { timeout: 10_000 });
    await screenshot(page, join(SHOTS, 'backchannel-after-disable.png'));
    await context.close();
  }, 60_000);

  it('single logout: john, signed in to two apps, signs out in one, and the other drops his session too', async () => {
    const context = await browser.newContext();
    const first = await open(context, one, { username: 'john', password: 'john-secret-pw' });
    // The second app signs him in through the issuer's session, without a password.
    const second = await open(context, two);
    expect(await second.locator('dd#preferred-username').textContent()).toBe('john');

    const before = (await logoutEntries('app-two')).filter((e) => e.action === 'logout.delivered').length;
    // RP-initiated logout at the first app: mod_auth_openidc ends its session and the issuer's.
    await first.goto(one.logout);
    // The issuer asks before it signs anyone out (a link alone must not).
    await first.getByRole('button', { name: 'Sign out' }).click();
    await first.waitForURL(`${one.base}/`, { timeout: 10_000 });
    await delivered('app-two', before);

    await second.goto(two.page);
    await second.waitForURL(/\/t\/acme\/interaction\//, { timeout: 10_000 });
    await screenshot(second, join(SHOTS, 'backchannel-single-logout.png'));
    await context.close();
  }, 60_000);
});
