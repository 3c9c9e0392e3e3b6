import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { CSV_COLUMNS } from '../../src/audit/export.js';
import { parseCsv } from '../support/csv.js';
import { consoleWorld, type ConsoleWorld } from './world.js';

const pw = (u: string) => `${u}-secret-pw`;
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };

/**
 * The auditor's console in real Chromium against the real gateway and Redis: jill signs in to
 * acme as jill$john, acme's auditor finds her entries, opens one, downloads them and verifies the
 * chain; the tenant auditor stays in its tenant, a platform auditor sees every tenant; the tenant's
 * Properties show the request and the login, which leads to its entries.
 */
describe('the console: Properties and the audit viewer', () => {
  let world: ConsoleWorld;

  beforeAll(async () => {
    world = await consoleWorld('console-audit');
    await world.ops.createUser({ tenant: 'acme', username: 'audrey', password: pw('audrey'), roles: ['auditor'] });
    await world.ops.createUser({ tenant: 'acme', username: 'alex', password: pw('alex'), roles: ['tenant-admin', 'auditor'] });
    await world.ops.createUser({ tenant: 'management', username: 'otto', password: pw('otto'), roles: ['auditor'] });
    await world.ops.openSupport({ tenant: 'acme', username: 'john', reason: 'ticket 4711' });
    // The support login every test below looks for.
    const jill = await world.signIn('acme', 'jill$john', pw('jill'));
    expect(await jill.locator('.banner').textContent()).toContain('jill (support) signed in as john');
    await jill.context().close();
  }, 90_000);
  afterAll(async () => {
    await world?.close();
  });

  const entries = async (tenant: string, who: string) => (await world.ops.queryAudit({ tenant, who }, 500)).entries;
  /** The text of each cell of a table column, by its header. */
  const column = async (page: Page, header: string) => {
    const headers = await page.locator('main table thead th').allTextContents();
    const i = headers.indexOf(header);
    expect(i).toBeGreaterThanOrEqual(0);
    return page.locator(`main table tbody tr td:nth-child(${i + 1})`).allTextContents();
  };
  const shots = async (page: Page, name: string) => {
    await page.setViewportSize(LAPTOP);
    await world.shot(page, `${name}-1280`);
    await page.setViewportSize(PHONE);
    await world.shot(page, `${name}-390`);
    expect(await world.axe(page)).toEqual([]);
    await page.setViewportSize(LAPTOP);
  };

  it("acme's auditor filters on jill$john, opens an entry, downloads the CSV and verifies the chain; each of these is recorded from the console", async () => {
    const audrey = await world.signIn('acme', 'audrey', pw('audrey'));
    await audrey.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit' }).click();
    await audrey.waitForURL(/\/t\/acme\/console\/audit$/);
    expect(await world.axe(audrey)).toEqual([]);

    await audrey.getByLabel('Who').fill('jill$john');
    await audrey.getByRole('button', { name: 'Apply filters' }).click();
    await audrey.waitForURL(/who=jill%24john/);
    expect(await audrey.locator('#summary').textContent()).toMatch(/^\d+ entr(y|ies) of acme, newest first\.$/);
    const who = await column(audrey, 'Who');
    expect(who.length).toBeGreaterThan(0);
    expect(new Set(who)).toEqual(new Set(['jill$john']));
    expect(await column(audrey, 'Action')).toContain('login.succeeded');
    // Times carry their zone.
    expect((await column(audrey, 'Time')).every((t) => / UTC$/.test(t))).toBe(true);
    await shots(audrey, 'audit-filtered');

    // One entry's detail: every field, the sentence first.
    const login = audrey.locator('main table tbody tr', { hasText: 'login.succeeded' }).first();
    await login.getByRole('link').click();
    await audrey.waitForURL(/\/audit\/entries\/acme\/\d+-\d+\?who=jill%24john$/);
    expect(await audrey.locator('#entry-summary').textContent()).toMatch(/^jill\$john — login\.succeeded: success at .+ UTC\.$/);
    const fields = Object.fromEntries(
      await audrey.locator('dl.entry > dt').evaluateAll((dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent])),
    ) as Record<string, string>;
    expect(Object.keys(fields)).toEqual(
      expect.arrayContaining(['Id', 'Time', 'Tenant', 'Who', 'Actor', 'Subject', 'Action', 'Outcome', 'Cause', 'Channel', 'Client address', 'User agent', 'Client id', 'Request id', 'Details', 'Hash', 'Previous hash']),
    );
    expect(fields).toMatchObject({ Tenant: 'acme', Who: 'jill$john', Action: 'login.succeeded', Outcome: 'Success', Channel: 'login' });
    expect(fields.Actor).toContain('user management/jill');
    expect(fields.Hash).toMatch(/^[0-9a-f]{64}$/);
    await shots(audrey, 'audit-entry');
    await audrey.getByRole('link', { name: 'Back to the results' }).click();
    await audrey.waitForURL(/\/audit\?who=jill%24john$/);

    // The CSV of the filter: its header, and only jill$john's rows.
    const [download] = await Promise.all([audrey.waitForEvent('download'), audrey.getByRole('link', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^audit-acme-\d{4}-\d\d-\d\d\.csv$/);
    const rows = parseCsv(await readFile((await download.path())!, 'utf8'));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    const whoAt = CSV_COLUMNS.indexOf('who');
    expect(rows.length).toBeGreaterThan(1);
    expect(new Set(rows.slice(1).map((r) => r[whoAt]))).toEqual(new Set(['jill$john']));
    expect(rows.slice(1).map((r) => r[CSV_COLUMNS.indexOf('action')])).toContain('login.succeeded');

    // The JSON lines of the same filter.
    const [jsonl] = await Promise.all([audrey.waitForEvent('download'), audrey.getByRole('link', { name: 'Download JSONL' }).click()]);
    expect(jsonl.suggestedFilename()).toMatch(/^audit-acme-\d{4}-\d\d-\d\d\.jsonl$/);
    const lines = (await readFile((await jsonl.path())!, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { who: string });
    expect(lines.map((l) => l.who)).toEqual(rows.slice(1).map(() => 'jill$john'));

    // Verify: OK with the count, status first.
    await audrey.getByRole('button', { name: 'Verify chain' }).click();
    expect(await audrey.locator('#verdict').textContent()).toMatch(/^OK: the audit log of acme is intact, [\d,]+ entries checked\.$/);
    // The chain was also held against the gateway's signed digests.
    expect(await audrey.locator('table').textContent()).toMatch(/Signed digests: \d+ matched/);
    await shots(audrey, 'audit-verify');

    // Viewing, the detail, the downloads and the verification are in the log, from the console.
    const own = await entries('acme', 'audrey');
    const summary = own.map((e) => [e.action, e.outcome, e.channel]);
    expect(summary).toEqual(expect.arrayContaining([['audit.queried', 'success', 'console'], ['audit.exported', 'success', 'console'], ['audit.verified', 'success', 'console']]));
    expect(own.find((e) => e.action === 'audit.queried' && e.details.who === 'jill$john')).toBeDefined();
    expect(own.find((e) => e.action === 'audit.queried' && typeof e.details.id === 'string')).toBeDefined();
    expect(own.filter((e) => e.action === 'audit.exported').map((e) => e.details.format).sort()).toEqual(['csv', 'jsonl']);
    expect(own.find((e) => e.action === 'audit.exported')).toMatchObject({ details: { tenant: 'acme', who: 'jill$john' }, clientId: expect.any(String) });
  }, 120_000);

  it('"Load more" continues with the same filters where the page ended, without script', async () => {
    for (let i = 0; i < 55; i++) await world.ops.queryAudit({ tenant: 'acme', action: 'token.issued' }, 1);
    const audrey = await world.signIn('acme', 'audrey', pw('audrey'));
    await audrey.goto(`${world.url}/t/acme/console/audit?who=cli%3Atest&action=audit.queried`);
    expect(await audrey.getByLabel('Action').inputValue()).toBe('audit.queried');
    const first = await audrey.locator('main table tbody tr td:first-child a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(first).toHaveLength(50);
    const more = audrey.getByRole('link', { name: 'Load more' });
    expect(await more.getAttribute('href')).toMatch(/who=cli%3Atest&action=audit\.queried&cursor=/);
    await more.click();
    const second = await audrey.locator('main table tbody tr td:first-child a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(second.length).toBeGreaterThanOrEqual(5);
    expect(second.filter((h) => first.includes(h))).toEqual([]);
    expect(new Set(await column(audrey, 'Who'))).toEqual(new Set(['cli:test']));
    expect(await audrey.locator('#summary').textContent()).toContain('continued');
  }, 60_000);

  it("acme's auditor asking for beta's log is refused (403, recorded in beta's log), not shown acme's instead; a plain user gets 403 too", async () => {
    const audrey = await world.signIn('acme', 'audrey', pw('audrey'));
    for (const path of ['audit?tenant=beta', 'audit/export.csv?tenant=beta', 'audit/entries/beta/1-0']) {
      const answer = await audrey.goto(`${world.url}/t/acme/console/${path}`);
      expect([path, answer!.status()]).toEqual([path, 403]);
      expect(await audrey.getByRole('alert').textContent()).toBe('not permitted in another tenant');
    }
    await world.shot(audrey, 'audit-other-tenant-403');
    const csrf = await audrey.locator('input[name=csrf]').first().inputValue();
    const verify = await audrey.request.post(`${world.url}/t/acme/console/audit/verify`, { form: { csrf, tenant: 'beta' }, maxRedirects: 0 });
    expect(verify.status()).toBe(403);
    const refused = (await entries('beta', 'audrey')).map((e) => [e.action, e.outcome, e.channel, e.cause]);
    expect(refused).toEqual(
      expect.arrayContaining([
        ['audit.queried', 'failure', 'console', 'forbidden: not permitted in another tenant'],
        ['audit.exported', 'failure', 'console', 'forbidden: not permitted in another tenant'],
        ['audit.verified', 'failure', 'console', 'forbidden: not permitted in another tenant'],
      ]),
    );
    // A bad filter names its field.
    const bad = await audrey.goto(`${world.url}/t/acme/console/audit?outcome=maybe&from=yesterday`);
    expect(bad!.status()).toBe(400);
    const alert = (await audrey.getByRole('alert').textContent())!;
    expect(alert).toContain('from:');
    expect(alert).toContain('outcome: must be success or failure');

    const john = await world.signIn('acme', 'john', pw('john'));
    expect(await john.getByRole('link', { name: 'Audit' }).count()).toBe(0);
    const answer = await john.goto(`${world.url}/t/acme/console/audit`);
    expect(answer!.status()).toBe(403);
    expect(await john.getByRole('alert').textContent()).toBe('the audit log is read by auditors only');
  }, 60_000);

  it("a platform auditor sees acme's entries with their tenant, and verifies every tenant", async () => {
    const otto = await world.signIn('management', 'otto', pw('otto'));
    await otto.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit' }).click();
    await otto.getByLabel('Tenant (empty: every tenant)').fill('acme');
    await otto.getByLabel('Who').fill('jill$john');
    await otto.getByRole('button', { name: 'Apply filters' }).click();
    await otto.waitForURL(/tenant=acme&.*who=jill%24john/);
    expect(new Set(await column(otto, 'Tenant'))).toEqual(new Set(['acme']));
    expect(await column(otto, 'Action')).toContain('login.succeeded');
    await shots(otto, 'audit-platform');

    // Every tenant: jill's sessions found through her index.
    await otto.getByLabel('Tenant (empty: every tenant)').fill('');
    await otto.getByRole('button', { name: 'Apply filters' }).click();
    expect(await otto.locator('#summary').textContent()).toMatch(/of every tenant/);
    expect(await column(otto, 'Action')).toContain('login.succeeded');

    await otto.getByRole('button', { name: 'Verify chain' }).click();
    expect(await otto.locator('#verdict').textContent()).toMatch(/^OK: the audit log of every tenant \(3\) is intact/);
    expect(await column(otto, 'Tenant')).toEqual(expect.arrayContaining(['acme', 'beta', 'management']));
    const own = await entries('management', 'otto');
    expect(own.map((e) => [e.action, e.outcome, e.channel])).toEqual(expect.arrayContaining([['audit.queried', 'success', 'console'], ['audit.verified', 'success', 'console']]));
    // The platform auditor's query of acme is recorded in acme's log.
    expect((await entries('acme', 'otto')).map((e) => [e.action, e.details.who])).toContainEqual(['audit.queried', 'jill$john']);
  }, 60_000);

  it("acme's Properties show the access, the request with its reason and jill's login; an auditor's link leads to that session's entries", async () => {
    const admin = await world.signIn('acme', 'admin', pw('admin'));
    await admin.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Properties' }).click();
    await admin.waitForURL(/\/t\/acme\/console\/properties$/);
    expect(await admin.locator('.state').textContent()).toMatch(/^Support access is on until .+ UTC: support staff can sign in as any user of acme\.$/);
    const props = Object.fromEntries(await admin.locator('#support-properties > dt').evaluateAll((dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]))) as Record<string, string>;
    expect(props).toMatchObject({ 'Active requests': '1', 'Global access': 'Off', 'Support mode': 'full (the global mode)' });
    expect(props['Support user access']).toMatch(/^Enabled until .+ UTC \(support requests\)$/);
    const request = admin.locator('main table', { hasText: 'ticket 4711' });
    expect(await request.locator('tbody tr').first().textContent()).toMatch(/Active.*john.*ticket 4711/);
    const logins = admin.locator('#support-logins tbody tr');
    expect(await logins.first().locator('td').allTextContents()).toEqual([expect.stringMatching(/ UTC$/), 'jill$john', 'jill', 'john']);
    // Not an auditor: the login is text, and the page says who can follow it.
    expect(await admin.locator('#support-logins a').count()).toBe(0);
    await shots(admin, 'properties');

    const alex = await world.signIn('acme', 'alex', pw('alex'));
    await alex.goto(`${world.url}/t/acme/console/properties`);
    await alex.locator('#support-logins').getByRole('link', { name: 'jill$john' }).first().click();
    await alex.waitForURL(/\/audit\?who=jill%24john&from=\d{4}-\d\d-\d\dT\d\d%3A\d\d(%3A\d\d)?$/);
    expect(await alex.getByLabel('Who').inputValue()).toBe('jill$john');
    expect(await alex.getByLabel('From (UTC)').inputValue()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d/);
    expect(new Set(await column(alex, 'Who'))).toEqual(new Set(['jill$john']));
    expect(await column(alex, 'Action')).toContain('login.succeeded');
  }, 60_000);
});
