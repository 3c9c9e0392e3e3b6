import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { consoleWorld, type ConsoleWorld } from './world.js';

const pw = (u: string) => `${u}-secret-pw`;
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 720 };

/**
 * The directory pages in real Chromium against the real gateway and Redis: a tenant admin's users,
 * clients and settings; the platform admin's tenants, staff and global settings; one's own
 * password; and the 403 page (recorded) for a support session and a plain user.
 */
describe('the console: users, clients, tenants and settings', () => {
  let world: ConsoleWorld;

  beforeAll(async () => {
    world = await consoleWorld('console-directory');
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  const entries = async (tenant: string, filter: { who?: string; action?: string } = {}) => (await world.ops.queryAudit({ tenant, ...filter }, 200)).entries;

  /** A sign-in through the tenant's login screen that may fail: the page after the button. */
  async function trySignIn(tenant: string, username: string, password: string): Promise<Page> {
    const page = await (await world.browser.newContext()).newPage();
    await page.goto(`${world.url}/t/${tenant}/console`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await Promise.race([page.waitForURL((u) => u.pathname.startsWith(`/t/${tenant}/console`)), page.getByRole('alert').waitFor()]);
    return page;
  }
  const signedIn = (page: Page, tenant: string) => new URL(page.url()).pathname.startsWith(`/t/${tenant}/console`);

  /** What the token endpoint's neighbour says about a client's credentials: 200 when they authenticate it. */
  async function introspectionStatus(tenant: string, clientId: string, secret: string): Promise<number> {
    const discovery = (await (await fetch(`${world.issuer(tenant)}/.well-known/openid-configuration`)).json()) as { introspection_endpoint: string };
    const answer = await fetch(discovery.introspection_endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=not-a-token',
    });
    return answer.status;
  }

  const flash = (page: Page) => page.locator('.flash').textContent();
  const alert = (page: Page) => page.getByRole('alert').textContent();

  it('the tenant admin creates a user, disables it (it can no longer sign in), enables it and resets its password', async () => {
    const admin = await world.signIn('acme', 'admin', pw('admin'));
    await admin.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();
    expect(await admin.locator('h1').textContent()).toBe('Users');
    const rows = await admin.locator('#users tbody tr').allTextContents();
    expect(rows.some((r) => r.startsWith('john') && r.includes('Enabled'))).toBe(true);
    expect(rows.some((r) => r.startsWith('admin (you)') && r.includes('Tenant admin'))).toBe(true);
    expect(await world.axe(admin)).toEqual([]);
    await world.shot(admin, 'users');

    // Create mia with roles user + auditor; a mismatched repeat is pointed out first.
    await admin.getByRole('link', { name: 'Add a user' }).click();
    await admin.getByLabel('Username').fill('mia');
    await admin.getByLabel('Password', { exact: true }).fill('mia-first-pw');
    await admin.getByLabel('Repeat the password').fill('mia-frist-pw');
    await admin.getByLabel(/^Auditor/).check();
    await admin.getByRole('button', { name: 'Create user' }).click();
    expect(await alert(admin)).toBe('Not saved: the two passwords differ: type the same new password twice');
    expect(await admin.getByLabel('Username').inputValue()).toBe('mia');
    expect(await admin.getByLabel(/^Auditor/).isChecked()).toBe(true);
    expect(await admin.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    expect(await world.axe(admin)).toEqual([]);
    await world.shot(admin, 'user-new-mistake');
    await admin.getByLabel('Password', { exact: true }).fill('mia-first-pw');
    await admin.getByLabel('Repeat the password').fill('mia-first-pw');
    await admin.getByRole('button', { name: 'Create user' }).click();
    expect(await flash(admin)).toBe('mia is created and can sign in to acme.');
    expect(await admin.locator('#user-state').textContent()).toBe('mia is enabled and can sign in.');
    expect(await admin.locator('dl').textContent()).toContain('User, Auditor');
    expect(await world.axe(admin)).toEqual([]);
    await world.shot(admin, 'user-page');
    await admin.setViewportSize(PHONE);
    await world.shot(admin, 'user-page-phone');
    await admin.setViewportSize(LAPTOP);
    const created = (await world.ops.listUsers('acme')).find((u) => u.username === 'mia')!;
    expect(created).toMatchObject({ roles: ['user', 'auditor'], enabled: true });

    // mia signs in; then the admin disables her: her next click lands on the login page, and a new sign-in is refused.
    const mia = await world.signIn('acme', 'mia', 'mia-first-pw');
    await admin.getByRole('button', { name: 'Disable mia' }).click();
    expect(await flash(admin)).toBe('mia is disabled: they cannot sign in, and their sessions end on their next click.');
    expect(await admin.locator('#user-state').textContent()).toBe('mia is disabled and cannot sign in.');
    await mia.getByRole('link', { name: 'Support access' }).first().click();
    await mia.waitForURL((u) => !u.pathname.startsWith('/t/acme/console'));
    const refused = await trySignIn('acme', 'mia', 'mia-first-pw');
    expect(signedIn(refused, 'acme')).toBe(false);
    expect(await refused.getByRole('alert').isVisible()).toBe(true);
    // The list says so too.
    await admin.getByRole('link', { name: 'Back to users' }).click();
    expect((await admin.locator('#users tbody tr', { hasText: 'mia' }).textContent())!).toContain('Disabled');

    // Enable again and reset the password: the new one signs in, the old one no longer does.
    await admin.getByRole('link', { name: 'mia' }).click();
    await admin.getByRole('button', { name: 'Enable mia' }).click();
    expect(await flash(admin)).toBe('mia is enabled and can sign in again.');
    await admin.getByLabel('New password').fill('mia-second-pw');
    await admin.getByLabel('Repeat the password').fill('mia-second-pw');
    await admin.getByRole('button', { name: 'Set password' }).click();
    expect(await flash(admin)).toBe('The password of mia is set. Tell them through a channel you trust.');
    expect(signedIn(await trySignIn('acme', 'mia', 'mia-first-pw'), 'acme')).toBe(false);
    expect(signedIn(await trySignIn('acme', 'mia', 'mia-second-pw'), 'acme')).toBe(true);

    // Roles: the admin cannot take away its own admin role; it can change mia's.
    await admin.getByRole('link', { name: 'Back to users' }).click();
    await admin.getByRole('link', { name: 'admin', exact: true }).click();
    expect(await admin.getByRole('button', { name: /^Disable/ }).count()).toBe(0);
    await admin.getByLabel(/^Tenant admin/).uncheck();
    await admin.getByRole('button', { name: 'Save roles' }).click();
    expect(await alert(admin)).toBe('Not saved: you cannot take away your own tenant-admin role; another administrator can');
    expect((await world.ops.listUsers('acme')).find((u) => u.username === 'admin')!.roles).toContain('tenant-admin');

    const changes = (await entries('acme', { who: 'admin', action: 'user.*' })).filter((e) => e.channel === 'console');
    expect(changes.map((e) => [e.action, e.outcome, e.subject?.name, e.details.changed ?? null])).toEqual(
      expect.arrayContaining([
        ['user.created', 'success', 'mia', null],
        ['user.updated', 'success', 'mia', ['enabled']],
        ['user.updated', 'success', 'mia', ['password']],
      ]),
    );
    expect(JSON.stringify(changes)).not.toContain('mia-second-pw');
  }, 120_000);

  it('the tenant admin registers a client and sees its secret once, rotates it (the old secret stops working) and edits its redirect URIs', async () => {
    const admin = await world.signIn('acme', 'admin', pw('admin'));
    await admin.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Clients' }).click();
    expect(await admin.locator('#clients tbody tr', { hasText: 'acme-app' }).textContent()).toContain('Confidential');
    expect(await world.axe(admin)).toEqual([]);
    await world.shot(admin, 'clients');

    // Register: a redirect URI that is not https is pointed out, with what was typed kept.
    await admin.getByRole('link', { name: 'Register a client' }).click();
    await admin.getByLabel('Client ID').fill('billing');
    await admin.getByLabel('Redirect URIs', { exact: true }).fill('http://billing.example.com/callback');
    await admin.getByRole('button', { name: 'Register client' }).click();
    expect(await alert(admin)).toContain('redirect URIs must be absolute https:// URLs');
    expect(await admin.getByLabel('Redirect URIs', { exact: true }).inputValue()).toBe('http://billing.example.com/callback');
    await admin.getByLabel('Redirect URIs', { exact: true }).fill('https://billing.example.com/callback');
    await admin.getByLabel('Post-logout redirect URIs (optional)').fill('https://billing.example.com/');
    await admin.getByRole('button', { name: 'Register client' }).click();
    expect(await admin.locator('h1').textContent()).toBe('Client billing registered');
    expect(await admin.locator('#secret-warning').textContent()).toContain('it is shown only this once');
    const first = await admin.getByLabel('Client secret').inputValue();
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(admin.url()).not.toContain(first);
    expect(await world.axe(admin)).toEqual([]);
    await world.shot(admin, 'client-secret');
    await admin.setViewportSize(PHONE);
    await world.shot(admin, 'client-secret-phone');
    await admin.setViewportSize(LAPTOP);
    expect(await introspectionStatus('acme', 'billing', first)).toBe(200);

    // The list never shows it again.
    await admin.getByRole('link', { name: 'Done' }).click();
    expect(await admin.content()).not.toContain(first);
    expect(await admin.locator('#clients tbody tr', { hasText: 'billing' }).textContent()).toContain('https://billing.example.com/callback');

    // Rotate: a confirmation, then the new secret once; the old one stops authenticating.
    await admin.getByRole('link', { name: 'Rotate secret of billing' }).click();
    expect(await admin.locator('.confirm').textContent()).toContain('The current secret stops working at once');
    await world.shot(admin, 'client-rotate-confirm');
    await admin.getByRole('button', { name: 'Rotate secret' }).click();
    expect(await admin.locator('h1').textContent()).toBe('New secret for billing');
    const second = await admin.getByLabel('Client secret').inputValue();
    expect(second).not.toBe(first);
    expect(await introspectionStatus('acme', 'billing', first)).toBe(401);
    expect(await introspectionStatus('acme', 'billing', second)).toBe(200);

    // Edit the redirect URIs: two lines, saved as two URIs.
    await admin.getByRole('link', { name: 'Done' }).click();
    await admin.getByRole('link', { name: 'Edit URIs of billing' }).click();
    await admin.getByLabel('Redirect URIs', { exact: true }).fill('https://billing.example.com/callback\nhttps://billing.example.com/callback2\n');
    await admin.getByRole('button', { name: 'Save URIs' }).click();
    expect(await flash(admin)).toBe('The redirect URIs of billing are saved.');
    const billing = (await world.ops.listClients('acme')).find((c) => c.clientId === 'billing')!;
    expect(billing).toMatchObject({ redirectUris: ['https://billing.example.com/callback', 'https://billing.example.com/callback2'], postLogoutRedirectUris: ['https://billing.example.com/'], public: false });

    // A public client: no secret to show or rotate.
    await admin.getByRole('link', { name: 'Register a client' }).click();
    await admin.getByLabel('Client ID').fill('billing-spa');
    await admin.getByLabel('Redirect URIs', { exact: true }).fill('https://billing.example.com/spa');
    await admin.getByLabel(/^Public client/).check();
    await admin.getByRole('button', { name: 'Register client' }).click();
    expect(await admin.locator('.state').textContent()).toContain('public client: it has no secret');
    expect(await admin.getByLabel('Client secret').count()).toBe(0);
    await admin.getByRole('link', { name: 'Done' }).click();
    expect(await admin.locator('#clients tbody tr', { hasText: 'billing-spa' }).textContent()).toContain('Public');
    expect(await admin.getByRole('link', { name: 'Rotate secret of billing-spa' }).count()).toBe(0);
    await admin.setViewportSize(PHONE);
    await world.shot(admin, 'clients-phone');

    const recorded = await entries('acme', { who: 'admin', action: 'client.*' });
    expect(recorded.map((e) => [e.action, e.outcome, e.subject?.name])).toEqual(
      expect.arrayContaining([
        ['client.created', 'success', 'billing'],
        ['client.secret.rotated', 'success', 'billing'],
        ['client.updated', 'success', 'billing'],
      ]),
    );
    expect(JSON.stringify(recorded)).not.toContain(first);
    expect(JSON.stringify(recorded)).not.toContain(second);
  }, 120_000);

  it('the platform admin creates a tenant, suspends it (its console and issuer answer 404) and resumes it', async () => {
    const pat = await world.signIn('management', 'pat', pw('pat'));
    await pat.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Tenants' }).click();
    const acmeRow = (await pat.locator('#tenants tbody tr', { hasText: 'acme' }).first().textContent())!;
    expect(acmeRow).toContain('Active');
    expect(await world.axe(pat)).toEqual([]);
    await world.shot(pat, 'tenants');

    // A bad id is pointed out; then gamma is created.
    await pat.getByLabel('Tenant ID').fill('Gamma_1');
    await pat.getByRole('button', { name: 'Create tenant' }).click();
    expect(await alert(pat)).toContain('tenant id must be 2-63 characters');
    await pat.getByLabel('Tenant ID').fill('gamma');
    await pat.getByLabel('Name (optional)').fill('Gamma Ltd');
    await pat.getByLabel('Domains (optional)').fill('gamma.example.com');
    await pat.getByRole('button', { name: 'Create tenant' }).click();
    expect(await flash(pat)).toContain('Tenant gamma is created.');
    expect(await pat.locator('#tenant-state').textContent()).toBe('gamma is active: its users can sign in.');
    expect(await pat.locator('.state.off').first().textContent()).toContain('Support access is off');
    expect(await world.axe(pat)).toEqual([]);
    await world.shot(pat, 'tenant-page');
    expect((await fetch(`${world.issuer('gamma')}/.well-known/openid-configuration`)).status).toBe(200);

    // A user of gamma is signed in to its console when the tenant is suspended.
    await world.ops.createUser({ tenant: 'gamma', username: 'gus', password: pw('gus') });
    const gus = await world.signIn('gamma', 'gus', pw('gus'));

    await pat.getByRole('link', { name: 'Suspend gamma…' }).click();
    expect(await pat.locator('#suspend-warning').textContent()).toContain('ends every session of the tenant at once');
    await world.shot(pat, 'tenant-suspend-confirm');
    await pat.getByRole('button', { name: 'Suspend gamma' }).click();
    expect(await flash(pat)).toBe('gamma is suspended: every session of the tenant has ended.');
    expect(await pat.locator('#tenant-state').textContent()).toMatch(/^gamma is suspended since .+ UTC: its issuer and console answer "not found"/);
    expect((await fetch(`${world.issuer('gamma')}/.well-known/openid-configuration`)).status).toBe(404);
    expect((await fetch(`${world.url}/t/gamma/console`)).status).toBe(404);
    const answer = await gus.goto(`${world.url}/t/gamma/console`);
    expect(answer!.status()).toBe(404);

    await pat.getByRole('button', { name: 'Resume gamma' }).click();
    expect(await flash(pat)).toContain('gamma is active again');
    expect((await fetch(`${world.issuer('gamma')}/.well-known/openid-configuration`)).status).toBe(200);
    await pat.getByRole('link', { name: 'Back to tenants' }).click();
    expect(await pat.locator('#tenants tbody tr', { hasText: 'gamma' }).textContent()).toContain('Gamma Ltd');
    await pat.setViewportSize(PHONE);
    await world.shot(pat, 'tenants-phone');

    const recorded = await entries('gamma', { who: 'pat' });
    expect(recorded.map((e) => [e.action, e.outcome, e.channel])).toEqual(
      expect.arrayContaining([
        ['tenant.created', 'success', 'console'],
        ['tenant.suspended', 'success', 'console'],
        ['tenant.resumed', 'success', 'console'],
      ]),
    );
  }, 120_000);

  it('the platform admin manages staff: a support user with a scope, its roles, disabling it', async () => {
    const pat = await world.signIn('management', 'pat', pw('pat'));
    await pat.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Staff' }).click();
    expect(await pat.locator('h1').textContent()).toBe('Staff');
    expect(await pat.locator('#users tbody tr', { hasText: 'jill' }).textContent()).toContain('acme, beta');
    expect(await world.axe(pat)).toEqual([]);
    await world.shot(pat, 'staff');

    await pat.getByRole('link', { name: 'Add a staff member' }).click();
    await pat.getByLabel('Username').fill('sam');
    await pat.getByLabel('Password', { exact: true }).fill(pw('sam'));
    await pat.getByLabel('Repeat the password').fill(pw('sam'));
    await pat.getByLabel('Support scope').fill('acme');
    await pat.getByRole('button', { name: 'Create staff member' }).click();
    // A scope without the Support role is a mistake to point out.
    expect(await alert(pat)).toBe('Not saved: a scope is for support users: tick the Support role, or leave the scope empty');
    await pat.getByLabel('Password', { exact: true }).fill(pw('sam'));
    await pat.getByLabel('Repeat the password').fill(pw('sam'));
    await pat.getByLabel(/^Support —/).check();
    await pat.getByRole('button', { name: 'Create staff member' }).click();
    expect(await flash(pat)).toBe('sam is created and can sign in to management.');
    expect(await pat.locator('dl').textContent()).toContain('acme');
    await world.shot(pat, 'staff-page');

    // The scope grows to every tenant; then sam is disabled.
    await pat.getByLabel('Support scope').fill('*');
    await pat.getByRole('button', { name: 'Save roles' }).click();
    expect(await flash(pat)).toBe('The roles of sam are saved.');
    expect((await world.ops.listUsers('management')).find((u) => u.username === 'sam')).toMatchObject({ roles: ['user', 'support'], scope: ['*'] });
    await pat.getByRole('button', { name: 'Disable sam' }).click();
    expect((await world.ops.listUsers('management')).find((u) => u.username === 'sam')!.enabled).toBe(false);
  }, 90_000);

  it('the platform admin sets the default request period to 4 hours: john\'s "Enable support" then offers 4 hours first', async () => {
    const pat = await world.signIn('management', 'pat', pw('pat'));
    await pat.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Settings' }).click();
    expect(await pat.locator('#global-state').textContent()).toContain('Global support access is off');
    expect(await world.axe(pat)).toEqual([]);
    await world.shot(pat, 'settings-global');

    // Over the longest period: refused in the setting's own words.
    await pat.getByLabel('Default period of a request (hours)').fill('500');
    await pat.getByRole('button', { name: 'Save default period' }).click();
    expect(await alert(pat)).toBe('Not saved: support.requestHours (500) must not exceed support.maxRequestHours (168)');
    await pat.getByLabel('Default period of a request (hours)').fill('4');
    await pat.getByRole('button', { name: 'Save default period' }).click();
    expect(await flash(pat)).toBe('A support request now lasts 4 hours unless its user chooses otherwise.');
    expect((await world.ops.getSettings()).global['support.requestHours']).toBe(4);

    const john = await world.signIn('acme', 'john', pw('john'));
    await john.getByRole('link', { name: 'Enable support' }).click();
    expect(await john.getByLabel('Period').inputValue()).toBe('4');
    expect(await john.locator('#hours option[selected]').textContent()).toBe('4 hours');

    // Global access until a time (UTC): a past one is refused, a future one is shown with its zone.
    await pat.getByLabel('On until a date and time').check();
    await pat.getByLabel('Until (UTC)').fill('2020-01-01T10:00');
    await pat.getByRole('button', { name: 'Save global access' }).click();
    expect(await alert(pat)).toBe('Not saved: support.globalAccess: date-time is in the past; use false to switch global access off');
    await pat.getByLabel('On until a date and time').check();
    await pat.getByRole('button', { name: 'Save global access' }).click();
    expect(await alert(pat)).toBe('Not saved: choose the date and time (UTC) until which global access stays on');
    const until = new Date(Date.now() + 3 * 86_400_000);
    until.setUTCHours(18, 0, 0, 0);
    await pat.getByLabel('On until a date and time').check();
    await pat.getByLabel('Until (UTC)').fill(until.toISOString().slice(0, 16));
    await pat.getByRole('button', { name: 'Save global access' }).click();
    expect(await flash(pat)).toMatch(/^Global support access is on until \d+ \w+ \d{4}, 18:00 UTC\.$/);
    expect((await world.ops.getSettings()).global['support.globalAccess']).toBe(until.toISOString());
    expect(await pat.getByLabel('Until (UTC)').inputValue()).toBe(until.toISOString().slice(0, 16));
    await pat.setViewportSize(PHONE);
    await world.shot(pat, 'settings-global-phone');
    await pat.getByLabel(/^Off/).check();
    await pat.getByRole('button', { name: 'Save global access' }).click();
    expect(await flash(pat)).toBe('Global support access is off.');

    // The global mode.
    await pat.getByLabel(/^Read-only/).check();
    await pat.getByRole('button', { name: 'Save support mode' }).click();
    expect(await flash(pat)).toBe('The global support mode is now read-only.');
    await pat.getByLabel(/^Full/).check();
    await pat.getByRole('button', { name: 'Save support mode' }).click();

    const recorded = await entries('management', { who: 'pat', action: 'settings.changed' });
    expect(recorded.filter((e) => e.outcome === 'success').map((e) => e.details.key)).toEqual(
      expect.arrayContaining(['support.requestHours', 'support.globalAccess', 'support.mode']),
    );
    await world.ops.setSetting('support.requestHours', '24');
  }, 120_000);

  it('the tenant admin makes support sessions read-only for its tenant, and follows the global mode again', async () => {
    const admin = await world.signIn('acme', 'admin', pw('admin'));
    await admin.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Settings' }).click();
    expect(await admin.locator('#mode-state').textContent()).toContain('Support sessions in acme are not limited');
    expect(await world.axe(admin)).toEqual([]);
    await admin.getByLabel(/^Read-only/).check();
    await admin.getByRole('button', { name: 'Save support mode' }).click();
    expect(await flash(admin)).toBe('Support sessions in acme are now read-only.');
    expect(await admin.locator('#mode-state').textContent()).toContain('read-only');
    expect((await world.ops.getSettings('acme')).mode).toMatchObject({ tenant: 'read-only', effective: 'read-only', global: 'full' });
    await world.shot(admin, 'settings-tenant');
    await admin.getByLabel(/^Follow the global mode/).check();
    await admin.getByRole('button', { name: 'Save support mode' }).click();
    expect(await flash(admin)).toBe('acme follows the global support mode.');
    expect((await world.ops.getSettings('acme')).mode).toMatchObject({ tenant: null, effective: 'full' });
  }, 60_000);

  it('a user changes its own password from the user menu', async () => {
    await world.ops.createUser({ tenant: 'acme', username: 'ola', password: pw('ola') });
    const ola = await world.signIn('acme', 'ola', pw('ola'));
    await ola.locator('details.user-menu summary').click();
    await ola.getByRole('link', { name: 'Change password' }).click();
    expect(await ola.locator('h1').textContent()).toBe('Change password');
    await ola.getByLabel('New password').fill('short');
    await ola.getByLabel('Repeat the password').fill('short');
    // The browser holds a too-short password back (minlength); the server says the same when it gets one.
    const csrf = await ola.locator('input[name=csrf]').first().inputValue();
    const short = await ola.request.post(`${world.url}/t/acme/console/password`, { form: { csrf, password: 'short', repeat: 'short' }, maxRedirects: 0 });
    expect(short.status()).toBe(400);
    expect(await short.text()).toContain('password must have at least 8 characters');
    await ola.getByLabel('New password').fill('ola-new-password');
    await ola.getByLabel('Repeat the password').fill('ola-new-password');
    expect(await world.axe(ola)).toEqual([]);
    await world.shot(ola, 'password');
    await ola.getByRole('button', { name: 'Change password' }).click();
    expect(await flash(ola)).toBe('Your password is changed. Use the new one from your next sign-in on.');
    expect(signedIn(await trySignIn('acme', 'ola', 'ola-new-password'), 'acme')).toBe(true);
    expect(signedIn(await trySignIn('acme', 'ola', pw('ola')), 'acme')).toBe(false);
    // A plain user has no admin page: the 403 page, recorded.
    const answer = await ola.goto(`${world.url}/t/acme/console/users`);
    expect(answer!.status()).toBe(403);
    expect(await ola.locator('h1').textContent()).toBe('Request refused');
    expect(await alert(ola)).toBe('this needs an administrator role');
    for (const page of ['clients', 'settings', 'users/new', 'clients/new']) expect((await ola.goto(`${world.url}/t/acme/console/${page}`))!.status()).toBe(403);
    const denied = await entries('acme', { who: 'ola', action: 'access.denied' });
    expect(denied.map((e) => e.details.permission)).toEqual(expect.arrayContaining(['user.list', 'client.list', 'settings.get']));
  }, 90_000);

  it('jill$john gets the 403 page on /users and on /password, and both refusals are in the audit log as jill$john', async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'john', reason: 'directory refusals' });
    try {
      const jill = await world.signIn('acme', 'jill$john', pw('jill'));
      const forbidden = async (path: string) => {
        const answer = await jill.goto(`${world.url}/t/acme/console/${path}`);
        expect([path, answer!.status()]).toEqual([path, 403]);
        expect(await jill.locator('h1').textContent()).toBe('Request refused');
        expect(await alert(jill)).toBe('a support session cannot change support requests, passwords, users, clients or settings');
      };
      await forbidden('users');
      await world.shot(jill, 'support-session-users-403');
      await forbidden('password');
      await forbidden('clients');
      await forbidden('settings');
      // The forms posted anyway (with her own CSRF token) are refused too, and change nothing.
      const csrf = await jill.locator('input[name=csrf]').first().inputValue();
      for (const [path, form] of [
        ['password', { password: 'jill-sets-johns', repeat: 'jill-sets-johns' }],
        ['users', { username: 'intruder', password: 'intruder-pw-1', repeat: 'intruder-pw-1' }],
        ['clients', { clientId: 'intruder', redirectUris: 'https://intruder.example.com/cb' }],
      ] as const) {
        const posted = await jill.request.post(`${world.url}/t/acme/console/${path}`, { form: { csrf, ...form }, maxRedirects: 0 });
        expect([path, posted.status()]).toEqual([path, 403]);
      }
      expect(signedIn(await trySignIn('acme', 'john', pw('john')), 'acme')).toBe(true);
      expect((await world.ops.listUsers('acme')).map((u) => u.username)).not.toContain('intruder');
      expect((await world.ops.listClients('acme')).map((c) => c.clientId)).not.toContain('intruder');

      const refused = (await entries('acme', { who: 'jill$john' })).filter((e) => e.outcome === 'failure');
      const permissions = refused.filter((e) => e.action === 'access.denied').map((e) => [e.details.permission, e.channel, e.cause?.startsWith('forbidden')]);
      expect(permissions).toEqual(
        expect.arrayContaining([
          ['user.list', 'console', true],
          ['user.password.set', 'console', true],
          ['client.list', 'console', true],
          ['settings.get', 'console', true],
        ]),
      );
      expect(refused.every((e) => e.actor?.name === 'jill')).toBe(true);
    } finally {
      await world.ops.closeSupport({ tenant: 'acme', username: 'admin' });
    }
  }, 90_000);
});
