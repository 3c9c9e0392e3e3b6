import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adminFor, type Admin } from '../../src/admin/index.js';
import { queryPage } from '../../src/audit/query.js';
import type { Domain } from '../../src/domain.js';
import { AppError } from '../../src/errors.js';
import type { AccessEvent } from '../../src/events.js';
import { checkCookieDomain, createTenant, isSameOrUnder, setTenantCookieDomain } from '../../src/tenants/tenants.js';
import { cli, cliEnv } from '../support/cli.js';
import { tenantAdminWorld, type TenantAdminWorld } from '../support/tenant-admin.js';

const shop = { id: 'shop', domains: ['app.shop.example', 'admin.shop.example'] };
const rival = { id: 'rival', domains: ['evilshop.example', 'rival.example'] };

/** The catalogue entry (and its key) a refusal came from. */
const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (err) {
    return err instanceof AppError ? { key: err.key, code: err.code, status: err.status, message: err.message } : err;
  }
  return null;
};

describe('the cookie-domain rule', () => {
  it('a domain is under a parent only at a dot boundary', () => {
    expect(isSameOrUnder('x.shop.example', 'shop.example')).toBe(true);
    expect(isSameOrUnder('shop.example', 'shop.example')).toBe(true);
    expect(isSameOrUnder('evilshop.example', 'shop.example')).toBe(false);
  });

  it("accepts one of the tenant's own domains, or a parent of one, lowercased", () => {
    expect(checkCookieDomain('app.shop.example', shop, [rival])).toBe('app.shop.example');
    expect(checkCookieDomain('Shop.Example', shop, [rival])).toBe('shop.example');
    expect(checkCookieDomain(null, shop, [rival])).toBeNull();
  });

  it('refuses a sibling that only ends with the same letters (evilshop.example is not under shop.example)', () => {
    const withSibling = { id: 'shop', domains: ['shop.example'] };
    expect(refusal(() => checkCookieDomain('evilshop.example', withSibling, [rival]))).toEqual({
      key: 'COOKIE_DOMAIN_NOT_OWN',
      code: 'INVALID_INPUT',
      status: 400,
      message: 'cookie domain "evilshop.example" is neither a domain of tenant "shop" nor a parent of one (its domains: shop.example)',
    });
  });

  it("refuses a parent that also covers another tenant's domain: the cookie would reach that tenant's apps", () => {
    const neighbour = { id: 'neighbour', domains: ['blog.shop.example'] };
    expect(refusal(() => checkCookieDomain('shop.example', shop, [rival, neighbour]))).toEqual({
      key: 'COOKIE_DOMAIN_COVERS_OTHER',
      code: 'DOMAIN_TAKEN',
      status: 409,
      message: `cookie domain "shop.example" covers "blog.shop.example" of tenant "neighbour": the sign-in cookie would reach that tenant's apps`,
    });
  });

  it("refuses a cookie domain equal to another tenant's domain", () => {
    const parent = { id: 'parent', domains: ['shop.example'] };
    expect(refusal(() => checkCookieDomain('shop.example', shop, [parent]))).toMatchObject({ key: 'COOKIE_DOMAIN_COVERS_OTHER', status: 409 });
  });

  it('refuses one for the management tenant, which has no forward-auth apps', () => {
    expect(refusal(() => checkCookieDomain('shop.example', { id: 'management', domains: ['shop.example'] }, []))).toMatchObject({
      key: 'COOKIE_DOMAIN_MANAGEMENT',
      status: 400,
      message: 'the management tenant has no forward-auth apps: it takes no cookie domain',
    });
  });

  it.each(['example', 'shop..example', '.shop.example', 'shop example', ''])('refuses %j: not a host name of two labels or more', (value) => {
    expect(refusal(() => checkCookieDomain(value, { id: 'shop', domains: ['example'] }, []))).toMatchObject({ key: 'COOKIE_DOMAIN_INVALID', code: 'INVALID_INPUT', status: 400 });
  });
});

describe('a tenant with a cookie domain', () => {
  let world: TenantAdminWorld;
  let domain: Domain;
  let ops: Admin;
  let events: AccessEvent[];

  beforeAll(async () => {
    world = await tenantAdminWorld('tenant-cookie-domain');
    ({ domain, ops, events } = world);
    await createTenant(domain.tenants, domain.clock, { id: 'rival', domains: ['evilshop.example', 'rival.example'] });
  });
  afterAll(async () => {
    await world?.close();
  });

  const entries = async (tenant: string, action: string) =>
    (await queryPage({ audit: domain.auditStore, tenants: domain.tenants, users: domain.users }, { tenant, action }, 50)).entries;

  it('is created with one, or with none (null), and the creation entry names it', async () => {
    const shopTenant = await ops.createTenant({ id: 'shop', domains: ['app.shop.example', 'admin.shop.example'], cookieDomain: 'Shop.Example' });
    expect(shopTenant).toMatchObject({ id: 'shop', cookieDomain: 'shop.example' });
    expect((await domain.tenants.get('shop'))?.cookieDomain).toBe('shop.example');
    expect((await entries('shop', 'tenant.created'))[0]).toMatchObject({ outcome: 'success', details: { domains: ['app.shop.example', 'admin.shop.example'], forwardAuthDomain: 'shop.example' } });

    const plain = await createTenant(domain.tenants, domain.clock, { id: 'plain', domains: ['plain.example'] });
    expect(plain.cookieDomain).toBeNull();
    expect((await domain.tenants.get('plain'))?.cookieDomain).toBeNull();
  });

  it("is not created when its cookie domain covers another tenant's domain, nor when a new domain lies under another's cookie domain", async () => {
    await expect(createTenant(domain.tenants, domain.clock, { id: 'grabby', domains: ['x.rival.example'], cookieDomain: 'rival.example' })).rejects.toMatchObject({
      key: 'COOKIE_DOMAIN_COVERS_OTHER',
      params: { covered: 'rival.example', tenant: 'rival' },
    });
    await expect(createTenant(domain.tenants, domain.clock, { id: 'squatter', domains: ['blog.shop.example'] })).rejects.toMatchObject({
      key: 'DOMAIN_UNDER_COOKIE_DOMAIN',
      message: `domain "blog.shop.example" lies under the cookie domain "shop.example" of tenant "shop": that tenant's sign-in cookie would reach it`,
    });
    expect(await domain.tenants.get('grabby')).toBeNull();
    expect(await domain.tenants.get('squatter')).toBeNull();
  });

  it('is set and cleared later, each change recorded as tenant.updated with before and after, and announced', async () => {
    await createTenant(domain.tenants, domain.clock, { id: 'later', domains: ['app.later.example'] });
    const set = await ops.updateTenant({ id: 'later', cookieDomain: 'later.example' });
    expect(set).toMatchObject({ tenant: { id: 'later', cookieDomain: 'later.example' }, before: null, changed: true });
    expect((await domain.tenants.get('later'))?.cookieDomain).toBe('later.example');
    expect(await ops.updateTenant({ id: 'later', cookieDomain: 'later.example' })).toMatchObject({ before: 'later.example', changed: false });
    const cleared = await ops.updateTenant({ id: 'later', cookieDomain: null });
    expect(cleared).toMatchObject({ tenant: { cookieDomain: null }, before: 'later.example', changed: true });
    expect((await domain.tenants.get('later'))?.cookieDomain).toBeNull();

    const recorded = await entries('later', 'tenant.updated');
    expect(recorded.map((e) => [e.who, e.outcome, e.subject?.id, e.details])).toEqual([
      ['cli:tester', 'success', 'later', { changed: ['cookieDomain'], before: 'later.example', after: null }],
      ['cli:tester', 'success', 'later', { changed: [], before: 'later.example', after: 'later.example' }],
      ['cli:tester', 'success', 'later', { changed: ['cookieDomain'], before: null, after: 'later.example' }],
    ]);
    for (let i = 0; i < 100 && events.filter((e) => e.type === 'tenant.changed' && e.tenant === 'later').length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    expect(events.filter((e) => e.type === 'tenant.changed' && e.tenant === 'later')).toHaveLength(3);
  });

  it('a record stored before the field existed reads as having none', async () => {
    await createTenant(domain.tenants, domain.clock, { id: 'old', domains: ['old.example'] });
    await domain.tenants.update('old', ({ cookieDomain: _dropped, ...rest }) => rest);
    expect(await domain.tenants.get('old')).not.toHaveProperty('cookieDomain');
    expect((await ops.listTenants()).find((t) => t.id === 'old')?.cookieDomain).toBeNull();
    expect(await setTenantCookieDomain(domain, 'old', 'old.example')).toMatchObject({ before: null, changed: true, tenant: { cookieDomain: 'old.example' } });
  });

  it('a refused change leaves the record as it was and is recorded as a failure', async () => {
    await expect(ops.updateTenant({ id: 'plain', cookieDomain: 'example' })).rejects.toMatchObject({ key: 'COOKIE_DOMAIN_INVALID' });
    await expect(ops.updateTenant({ id: 'plain', cookieDomain: 'rival.example' })).rejects.toMatchObject({ key: 'COOKIE_DOMAIN_NOT_OWN' });
    await expect(ops.updateTenant({ id: 'management', cookieDomain: 'shop.example' })).rejects.toMatchObject({ key: 'COOKIE_DOMAIN_MANAGEMENT' });
    await expect(ops.updateTenant({ id: 'ghost', cookieDomain: null })).rejects.toMatchObject({ key: 'TENANT_NOT_FOUND' });
    expect((await domain.tenants.get('plain'))?.cookieDomain).toBeNull();
    expect((await entries('plain', 'tenant.updated'))[0]).toMatchObject({
      outcome: 'failure',
      cause: 'invalid_input: cookie domain "rival.example" is neither a domain of tenant "plain" nor a parent of one (its domains: plain.example)',
    });
  });

  it("only a platform admin changes it: a tenant's own admin is refused, and the refusal recorded", async () => {
    const tenantAdmin = adminFor(domain, { who: 'ada', actor: null, channel: 'console' }, { kind: 'user', tenant: 'plain', userId: 'u-ada', username: 'ada', roles: ['tenant-admin'] });
    await expect(tenantAdmin.updateTenant({ id: 'plain', cookieDomain: 'plain.example' })).rejects.toMatchObject({ code: 'FORBIDDEN', status: 403, message: 'this needs a platform administrator' });
    expect((await domain.tenants.get('plain'))?.cookieDomain).toBeNull();
    expect((await entries('plain', 'tenant.updated'))[0]).toMatchObject({ who: 'ada', outcome: 'failure', cause: 'forbidden: this needs a platform administrator' });
    const platformAdmin = adminFor(domain, { who: 'pat', actor: null, channel: 'console' }, { kind: 'user', tenant: 'management', userId: 'm-pat', username: 'pat', roles: ['platform-admin'] });
    expect(await platformAdmin.updateTenant({ id: 'plain', cookieDomain: 'plain.example' })).toMatchObject({ changed: true, tenant: { cookieDomain: 'plain.example' } });
  });
});

describe('supportgate tenant update --cookie-domain | --no-cookie-domain', () => {
  it('sets it, clears it, says so in one line, and lists it', async () => {
    const e = cliEnv('tenant-cookie-cli');
    expect(await cli(['tenant', 'create', 'shop', '--domain', 'app.shop.example', '--cookie-domain', 'app.shop.example'], e)).toEqual({
      code: 0,
      stdout: 'created tenant shop (shop) with domains app.shop.example and cookie domain app.shop.example\n',
      stderr: '',
    });
    expect(await cli(['tenant', 'update', 'shop', '--cookie-domain', 'shop.example'], e)).toEqual({
      code: 0,
      stdout: 'tenant shop now has cookie domain shop.example: one sign-in serves its apps under it\n',
      stderr: '',
    });
    const listed = (await cli(['tenant', 'list'], e)).stdout.split('\n');
    expect(listed[0]).toMatch(/COOKIE_DOMAIN/);
    expect(listed.find((l) => l.startsWith('shop '))).toMatch(/ shop\.example /);
    expect(listed.find((l) => l.startsWith('management '))).toMatch(/ - +- /);

    const cleared = await cli(['tenant', 'update', 'shop', '--no-cookie-domain', '--json'], e);
    expect(cleared).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(cleared.stdout)).toMatchObject({ tenant: { id: 'shop', cookieDomain: null }, before: 'shop.example', changed: true });
    expect(await cli(['tenant', 'update', 'shop', '--no-cookie-domain'], e)).toEqual({ code: 0, stdout: 'tenant shop already has no cookie domain; nothing changed\n', stderr: '' });
    const list = JSON.parse((await cli(['tenant', 'list', '--json'], e)).stdout) as { id: string; cookieDomain: string | null }[];
    expect(list.map((t) => [t.id, t.cookieDomain])).toEqual([['management', null], ['shop', null]]);
  });

  it('needs exactly one of the two flags, and refuses a domain with one clear line', async () => {
    const e = cliEnv('tenant-cookie-cli');
    const usage = 'supportgate: give exactly one of --cookie-domain <domain> and --no-cookie-domain\n';
    expect(await cli(['tenant', 'update', 'shop'], e)).toEqual({ code: 2, stdout: '', stderr: usage });
    expect(await cli(['tenant', 'update', 'shop', '--cookie-domain', 'shop.example', '--no-cookie-domain'], e)).toEqual({ code: 2, stdout: '', stderr: usage });
    await cli(['tenant', 'create', 'shop', '--domain', 'app.shop.example'], e);
    expect(await cli(['tenant', 'update', 'shop', '--cookie-domain', 'example'], e)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'supportgate: cookie domain "example" must be a host name of at least two labels, such as shop.example\n',
    });
    const json = await cli(['tenant', 'update', 'management', '--cookie-domain', 'shop.example', '--json'], e);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toEqual({ error: 'invalid_input', message: 'the management tenant has no forward-auth apps: it takes no cookie domain' });
  });
});
