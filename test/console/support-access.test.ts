import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { consoleWorld, type ConsoleWorld } from './world.js';

const pw = (u: string) => `${u}-secret-pw`;

/**
 * Issue 11's story in real Chromium against the real gateway and Redis: john enables support
 * through the console, jill signs in as jill$john and sees the banner, the tenant admin disables
 * support, and jill's next click lands on the login page.
 */
describe('the console: support access as buttons', () => {
  let world: ConsoleWorld;

  beforeAll(async () => {
    world = await consoleWorld('console-support');
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  const entries = async (who: string) => (await world.ops.queryAudit({ tenant: 'acme', who }, 200)).entries;

  it('john enables support for 2 h with a reason through the confirmation; jill$john sees the banner; the admin disables it; jill lands on the login page', async () => {
    // john: user menu → Enable support → period and reason → confirmation → done.
    const john = await world.signIn('acme', 'john', pw('john'));
    expect(await john.locator('.state').textContent()).toContain('Support access is off');
    expect(await world.axe(john)).toEqual([]);
    await world.shot(john, 'user-menu-off');
    await john.getByRole('link', { name: 'Enable support' }).click();
    // The default period is support.requestHours (24 unless changed).
    expect(await john.getByLabel('Period').inputValue()).toBe('24');
    await john.getByLabel('Period').selectOption('2');
    await john.getByLabel('Reason or ticket (optional)').fill('ticket 4711');
    await john.getByRole('button', { name: 'Continue' }).click();
    const grant = (await john.locator('#grant').textContent())!;
    expect(grant).toMatch(/^Support staff can sign in as any user of acme until \d\d:\d\d UTC\.$/);
    await world.shot(john, 'enable-confirm');
    await john.getByRole('button', { name: 'Enable support' }).click();
    expect(await john.locator('.flash').textContent()).toMatch(/^Support enabled until \d+ \w+ \d{4}, \d\d:\d\d UTC\.$/);
    const status = await world.ops.supportStatus('acme');
    expect(status.requests).toHaveLength(1);
    expect(status.requests[0]).toMatchObject({ hours: 2, reason: 'ticket 4711', state: 'active', openedBy: { username: 'john' } });
    // The end shown is the window's end (2 h from the request).
    const end = new Date(status.window.endsAt!).toISOString().slice(11, 16);
    expect(grant).toContain(`until ${end} UTC`);
    expect(await john.locator('table').textContent()).toContain('ticket 4711');
    expect(await world.axe(john)).toEqual([]);
    await world.shot(john, 'user-menu-on');
    const opened = (await entries('john')).find((e) => e.action === 'support.request.opened');
    expect(opened).toMatchObject({ outcome: 'success', channel: 'console', who: 'john', details: { hours: 2, reason: 'ticket 4711' } });

    // jill signs in to acme's console as jill$john: the banner names both, with the end.
    const jill = await world.signIn('acme', 'jill$john', pw('jill'));
    const banner = (await jill.locator('.banner').textContent())!;
    expect(banner).toBe(`jill (support) signed in as john — until ${end} UTC`);
    expect(await jill.getByRole('link', { name: 'Enable support' }).count()).toBe(0);
    await world.shot(jill, 'support-session');
    expect(await world.axe(jill)).toEqual([]);

    // The tenant admin disables support: every request of the tenant closes.
    const admin = await world.signIn('acme', 'admin', pw('admin'));
    await admin.getByRole('link', { name: 'Disable support' }).click();
    expect(await admin.locator('.confirm').textContent()).toContain('closes all 1 active support requests of acme');
    await admin.getByRole('button', { name: 'Disable support' }).click();
    expect(await admin.locator('.flash').textContent()).toContain('1 request closed');
    expect(await admin.locator('.state').textContent()).toContain('Support access is off');

    // jill's next click: the console session ended with the support access; the login page.
    await jill.getByRole('link', { name: 'Support access' }).first().click();
    await jill.waitForURL(/\/t\/acme\/interaction\//);
    expect(await jill.getByLabel('Username').isVisible()).toBe(true);
    // Her sign-in as jill$john is refused now, naming the cause.
    await jill.getByLabel('Username').fill('jill$john');
    await jill.getByLabel('Password').fill(pw('jill'));
    await jill.getByRole('button', { name: 'Sign in' }).click();
    expect(await jill.getByRole('alert').textContent()).toContain('support access is not enabled');

    const after = await world.ops.supportStatus('acme');
    expect(after.requests[0]).toMatchObject({ state: 'closed', closedBy: { username: 'admin' } });
    expect(after.lastLogins[0]).toMatchObject({ who: 'jill$john', supportUser: 'jill', user: 'john' });

    // Properties, as the admin sees it: the request closed (by admin, with its reason) and jill's login.
    await admin.getByRole('link', { name: 'Properties' }).click();
    const request = admin.locator('table').first().locator('tbody tr').first();
    expect(await request.textContent()).toMatch(/Closed.*john.*ticket 4711.*closed .* by admin/);
    expect(await admin.locator('#support-logins').textContent()).toContain('jill$john');
    expect(await world.axe(admin)).toEqual([]);
    await world.shot(admin, 'properties-after-disable');
  }, 90_000);

  it('an audit query for a tenant that does not exist says so instead of showing an empty log', async () => {
    await expect(world.ops.queryAudit({ tenant: 'nope' }, 10)).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
    await expect(world.ops.verifyAudit('nope')).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
  });

  it('jill in a support session gets the 403 page on enabling support and on user admin; both refusals are audited as jill$john', async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'admin', reason: 'refusal test' });
    const jill = await world.signIn('acme', 'jill$john', pw('jill'));
    const forbidden = async (page: Page) => {
      expect(await page.locator('h1').textContent()).toBe('Request refused');
      expect(await page.getByRole('alert').textContent()).toMatch(/support session/i);
    };
    // Enabling support: the page (GET) and the form posted anyway (a crafted POST with her own CSRF token).
    let answer = await jill.goto(`${world.url}/t/acme/console/support/enable`);
    expect(answer!.status()).toBe(403);
    await forbidden(jill);
    await world.shot(jill, 'support-session-403');
    const csrf = await jill.locator('input[name=csrf]').first().inputValue();
    answer = await jill.request.post(`${world.url}/t/acme/console/support/enable`, { form: { csrf, hours: '2', reason: 'x' }, maxRedirects: 0 }).then((r) => ({ status: () => r.status() }) as never);
    expect((answer as unknown as { status(): number }).status()).toBe(403);
    // User admin.
    answer = await jill.goto(`${world.url}/t/acme/console/users`);
    expect(answer!.status()).toBe(403);
    await forbidden(jill);

    const refused = (await entries('jill$john')).filter((e) => e.outcome === 'failure');
    expect(refused.map((e) => [e.action, e.channel, e.cause?.startsWith('forbidden')])).toEqual(
      expect.arrayContaining([
        ['access.denied', 'console', true],
        ['support.request.opened', 'console', true],
      ]),
    );
    expect(refused.find((e) => e.action === 'access.denied' && e.details.permission === 'user.list')).toBeDefined();
    expect(refused.find((e) => e.action === 'access.denied' && e.details.permission === 'support.status')).toBeDefined();
    // Nothing was opened by the refused POST.
    expect((await world.ops.supportStatus('acme')).requests.filter((r) => r.reason === 'x')).toEqual([]);
    await world.ops.closeSupport({ tenant: 'acme', username: 'admin' });
  }, 60_000);

  it('with global access on, john sees neither button and the hint', async () => {
    await world.ops.setSetting('support.globalAccess', 'true');
    try {
      const john = await world.signIn('acme', 'john', pw('john'));
      expect(await john.getByRole('link', { name: 'Enable support' }).count()).toBe(0);
      expect(await john.getByRole('link', { name: 'Disable support' }).count()).toBe(0);
      expect(await john.locator('#global-hint').textContent()).toContain('enabled globally by the platform');
      expect(await john.locator('.state').textContent()).toContain('Support access is on with no end (global access, set by the platform)');
      await world.shot(john, 'user-menu-global');
    } finally {
      await world.ops.setSetting('support.globalAccess', 'false');
    }
  }, 60_000);

  it('the login page has no serious accessibility violations', async () => {
    const page = await (await world.browser.newContext()).newPage();
    await page.goto(`${world.url}/t/acme/console`);
    await page.waitForURL(/\/interaction\//);
    expect(await world.axe(page)).toEqual([]);
    await world.shot(page, 'login');
    // And a phone-sized user menu.
    const john = await world.signIn('acme', 'john', pw('john'));
    await john.setViewportSize({ width: 390, height: 844 });
    await world.shot(john, 'user-menu-phone');
    expect(await world.axe(john)).toEqual([]);
  }, 60_000);

  it('a forged or missing CSRF token is refused, and signing out ends the console and the issuer session', async () => {
    const john = await world.signIn('acme', 'john', pw('john'));
    const forged = await john.request.post(`${world.url}/t/acme/console/support/enable`, { form: { csrf: 'x'.repeat(32), hours: '2' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    await john.getByText('john', { exact: true }).click();
    await john.getByRole('button', { name: 'Sign out' }).click();
    await john.waitForURL(/\/session\/end/);
    await john.getByRole('button', { name: 'Sign out' }).click();
    await john.waitForURL(/\/console\/signed-out/);
    expect(await john.locator('h1').textContent()).toBe('Signed out');
    // The console sends the browser to the login page again (no silent sign-in).
    await john.goto(`${world.url}/t/acme/console`);
    await john.waitForURL(/\/interaction\//);
  }, 60_000);
});
