import { mkdirSync } from 'node:fs';
import { seriousAxeViolations } from '../support/axe.js';
import { join } from 'node:path';
import { launchChromium } from '../support/chromium.js';
import type { Browser, Page } from 'playwright-core';
import { packageRoot } from '../../src/paths.js';
import { oidcWorld, type OidcWorld } from '../oidc/setup.js';

/** Screenshots of the console from the test run (test-results/, not committed; look at them). */
export const SHOTS = join(packageRoot(), 'test-results', 'console');

export interface ConsoleWorld extends OidcWorld {
  browser: Browser;
  /** A new browser context (its own cookies) signed in to the tenant's console as `username`. */
  signIn(tenant: string, username: string, password: string): Promise<Page>;
  /** axe-core in the page: the serious and critical violations (ids and what they hit). */
  axe(page: Page): Promise<string[]>;
  shot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}


/**
 * The oidcWorld (acme, beta, john, admin, jill, pat, ...) plus headless Chromium. Passwords are
 * `<username>-secret-pw`.
 */
export async function consoleWorld(name: string): Promise<ConsoleWorld> {
  const world = await oidcWorld(name);
  const browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
  return {
    ...world,
    browser,
    async signIn(tenant, username, password) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${world.url}/t/${tenant}/console`);
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((u) => u.pathname.startsWith(`/t/${tenant}/console`));
      return page;
    },
    axe: seriousAxeViolations,
    async shot(page, name) {
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    },
    async close() {
      await browser.close();
      await world.stop();
    },
  };
}
