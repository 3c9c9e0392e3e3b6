import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { launchChromium, screenshot } from '../support/chromium.js';
import type { Browser, Page } from 'playwright-core';
import type { AuditEntry } from '../../src/audit/entry.js';
import { packageRoot } from '../../src/paths.js';
import { oidcWorld, type OidcWorld } from '../oidc/setup.js';
import { apacheAppUrls, SHOWN_IDENTITY, startApache, type RunningApache, type RunningApacheApp } from '../support/apache.js';
import { seriousAxeViolations } from '../support/axe.js';
import { cli } from '../support/cli.js';
import { freePort } from '../support/ports.js';

/** Screenshots from the test run (test-results/, not committed; look at them). */
const SHOTS = join(packageRoot(), 'test-results', 'rp');

type Shown = Record<keyof typeof SHOWN_IDENTITY, string>;

/**
 * A relying party nobody on this project wrote: Apache's mod_auth_openidc (Debian's 2.4.12),
 * configured the way its documentation says, in front of a page, signing people in to tenant
 * acme in real Chromium. What the page shows is what mod_auth_openidc hands the application.
 */
describe('Apache mod_auth_openidc as a relying party of a tenant issuer', () => {
  let world: OidcWorld;
  let apache: RunningApache;
  let browser: Browser;
  let app: RunningApacheApp;
  let postApp: RunningApacheApp;

  beforeAll(async () => {
    world = await oidcWorld('rp-mod-auth-openidc');
    const ports = { app: await freePort(), post: await freePort() };
    const register = async (clientId: string, port: number) => {
      const urls = apacheAppUrls(port);
      const { clientSecret } = await world.ops.createClient({ tenant: 'acme', clientId, redirectUris: [urls.redirectUri], postLogoutRedirectUris: [`${urls.base}/`], firstParty: true, authMethod: 'client_secret_basic' });
      return clientSecret!;
    };
    apache = await startApache({
      apps: [
        { name: 'app', port: ports.app, issuer: world.issuer('acme'), clientId: 'apache-app', clientSecret: await register('apache-app', ports.app) },
        { name: 'post-app', port: ports.post, issuer: world.issuer('acme'), clientId: 'apache-post-app', clientSecret: await register('apache-post-app', ports.post), authRequestMethod: 'POST' },
      ],
    });
    app = apache.apps.app!;
    postApp = apache.apps['post-app']!;
    browser = await launchChromium();
    // Only this run's screenshots (a failure's shot from an earlier run would mislead).
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await apache?.stop();
    await world?.stop();
  });

  /** Where this test's lines in Apache's error log begin. */
  let logMark = 0;
  beforeEach(() => {
    logMark = apache.errorLog().length;
  });
  /** What mod_auth_openidc said during this test (its errors and warnings), for a failing test's message. */
  const apacheSaid = () =>
    apache
      .errorLog()
      .slice(logMark)
      .split('\n')
      .filter((l) => /:(error|warn)\]/.test(l))
      .join('\n') || '(nothing)';
  /** The browser's last top-level answer, as `status METHOD url`. */
  const lastAnswer = new WeakMap<Page, string>();
  const watch = (page: Page) =>
    page.on('response', (r) => {
      if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) lastAnswer.set(page, `${r.status()} ${r.request().method()} ${r.url()}`);
    });
  const browserShows = async (page: Page) =>
    `the browser shows ${page.url()} (last answer: ${lastAnswer.get(page) ?? 'none'}):\n${await page.locator('body').innerText().catch(() => '(no body)')}\nmod_auth_openidc said:\n${apacheSaid()}`;

  /** The page's identity values; when the page is not the app's, what the browser shows instead. */
  async function shownOn(page: Page): Promise<Shown> {
    if ((await page.locator('dl').count()) === 0) {
      throw new Error(`expected the app's identity page, ${await browserShows(page)}`);
    }
    const shown = {} as Shown;
    for (const id of Object.keys(SHOWN_IDENTITY) as (keyof Shown)[]) shown[id] = (await page.locator(`dd#${id}`).textContent())?.trim() ?? '';
    return shown;
  }

  /** Opens the app in a fresh browser, which goes to acme's login; signs in there and comes back. */
  async function signInThrough(target: RunningApacheApp, username: string, password: string, shot: string) {
    const context = await browser.newContext();
    const page = await context.newPage();
    watch(page);
    await page.goto(target.page);
    await page.waitForURL(/\/t\/acme\/interaction\//, { timeout: 10_000 }).catch(async () => {
      await screenshot(page, join(SHOTS, `${shot}-no-login.png`));
      throw new Error(`expected acme's login page after ${target.page}, ${await browserShows(page)}`);
    });
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(target.page, { timeout: 10_000 }).catch(async () => {
      await screenshot(page, join(SHOTS, `${shot}-not-back.png`));
      throw new Error(`expected to come back to ${target.page}, ${await browserShows(page)}`);
    });
    await screenshot(page, join(SHOTS, `${shot}.png`));
    return { context, page };
  }

  /** The gateway's audit entries of an action, read with the command line an operator would use. */
  async function auditOf(action: string): Promise<AuditEntry[]> {
    const env = { NODE_ENV: 'test', PATH: process.env.PATH, REDIS_URL: world.config.redis.url, REDIS_PREFIX: world.config.redis.prefix, DATA_DIR: world.config.dataDir };
    const result = await cli(['audit', 'query', '--tenant', 'acme', '--action', action, '--format', 'jsonl'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return result.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEntry).filter((e) => e.action === action);
  }

  it('john signs in through Apache and the app shows john, with no act', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(app.page);
    await page.waitForURL(/\/t\/acme\/interaction\//);
    // The login page as this RP's users reach it.
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, join(SHOTS, 'mod-auth-openidc-login.png'));
    await context.close();

    const { context: signedIn, page: appPage } = await signInThrough(app, 'john', 'john-secret-pw', 'mod-auth-openidc-john');
    const shown = await shownOn(appPage);
    expect(shown).toMatchObject({ 'preferred-username': 'john', tenant: 'acme', iss: world.issuer('acme') });
    expect(shown.sub).not.toBe('');
    expect(shown['remote-user']).toBe(`${shown.sub}@${world.issuer('acme')}`);
    expect(shown.act).toBe('(none)'); // mod_include's word for a variable that is not set
    await signedIn.close();
  }, 60_000);

  it("jill signs in as jill$john while acme's support window is open: the app shows john, and act names jill", async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'john', reason: 'mod_auth_openidc test' });
    try {
      const { context, page } = await signInThrough(app, 'jill$john', 'jill-secret-pw', 'mod-auth-openidc-jill-as-john');
      const shown = await shownOn(page);
      expect(shown).toMatchObject({ 'preferred-username': 'john', tenant: 'acme' });
      // mod_auth_openidc passes a JSON object claim as its JSON text.
      expect(JSON.parse(shown.act)).toMatchObject({ preferred_username: 'jill', tenant: 'management' });
      await context.close();
    } finally {
      await world.ops.closeSupport({ tenant: 'acme', username: 'admin' });
    }
  }, 60_000);

  it('with OIDCRefreshAccessTokenBeforeExpiry 3598 logout_on_error, every page request refreshes the access token and john stays signed in', async () => {
    const before = new Set((await auditOf('token.refreshed')).map((e) => e.id));
    const { context, page } = await signInThrough(app, 'john', 'john-secret-pw', 'mod-auth-openidc-refresh');
    const first = await shownOn(page);
    expect(first['preferred-username']).toBe('john');
    // A refresh the gateway refused would sign john out of the app; a new sign-in through the
    // issuer's session could then hide it. Neither may happen: no request goes to the issuer.
    const toIssuer: string[] = [];
    page.on('request', (r) => {
      if (r.url().startsWith(world.url)) toIssuer.push(`${r.method()} ${r.url()}`);
    });
    let expires = Number(first['access-token-expires']);
    for (let i = 1; i <= 3; i++) {
      // Tokens live 3600 s: more than 2 s after the last one, it is due for a refresh.
      await new Promise((r) => setTimeout(r, 2200));
      await page.reload();
      await screenshot(page, join(SHOTS, `mod-auth-openidc-refresh-${i}.png`));
      const shown = await shownOn(page);
      expect(shown['preferred-username']).toBe('john');
      expect(page.url()).toBe(app.page);
      // The app holds a new access token, valid from now.
      expect(Number(shown['access-token-expires'])).toBeGreaterThan(expires);
      expires = Number(shown['access-token-expires']);
    }
    expect(toIssuer).toEqual([]);
    const refreshed = (await auditOf('token.refreshed')).filter((e) => !before.has(e.id));
    expect(refreshed.length).toBeGreaterThanOrEqual(3);
    expect(new Set(refreshed.map((e) => `${e.clientId} ${e.who}`))).toEqual(new Set(['apache-app john']));
    await context.close();
  }, 60_000);

  it('with OIDCProviderAuthRequestMethod POST (the authorization request as a form post) john signs in', async () => {
    const { context, page } = await signInThrough(postApp, 'john', 'john-secret-pw', 'mod-auth-openidc-post');
    expect(await shownOn(page)).toMatchObject({ 'preferred-username': 'john', tenant: 'acme' });
    await context.close();
  }, 60_000);
});
