import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditEntry } from '../../src/audit/entry.js';
import { apiRouteTable } from '../../src/http/api/index.js';
import { apiWorld, type ApiWorld } from './world.js';

/** "GET /{tenant}/users/{username}" for a concrete call, from the route table. */
const templates = apiRouteTable({}).map((r) => ({ key: `${r.method.toUpperCase()} ${r.path}`, re: new RegExp(`^${r.method.toUpperCase()} ${r.path.replace(/\{\w+\}/g, '[^/?]+')}(\\?.*)?$`) }));
const operationOf = (method: string, path: string) => templates.find((t) => t.re.test(`${method} ${path}`))?.key;

describe('every operation of the JSON API, done by the principal it is for, recorded on channel api', () => {
  let w: ApiWorld;
  const tokens: Record<string, string> = {};
  /** The operations a test here called successfully. */
  const succeeded = new Set<string>();

  beforeAll(async () => {
    w = await apiWorld('api-routes');
    for (const [tenant, user] of [['acme', 'john'], ['acme', 'admin'], ['acme', 'audrey'], ['management', 'pat'], ['management', 'max']] as const) {
      tokens[user] = await w.userToken(tenant, user);
    }
  }, 60_000);
  afterAll(async () => w.stop());

  /** Calls as `user`, expects `status`, notes the operation as covered. */
  const call = async (user: string, method: string, path: string, status: number, body?: unknown) => {
    const r = await w.api(tokens[user]!, method, path, body);
    expect([method, path, r.status, r.body]).toEqual([method, path, status, expect.anything()]);
    const op = operationOf(method, path);
    if (op) succeeded.add(op);
    return r;
  };

  /** The newest entry of `action` in `tenant`'s log, which must be this request's. */
  const entryOf = async (tenant: string, action: string, res: Response): Promise<AuditEntry> => {
    const [entry] = await w.entries({ tenant, action });
    expect(entry).toMatchObject({ action, channel: 'api', requestId: res.headers.get('x-request-id') });
    return entry!;
  };

  it('GET /me says who the token is', async () => {
    const r = await call('john', 'GET', '/acme/me', 200);
    expect(r.body).toMatchObject({ kind: 'user', tenant: 'acme', who: 'john', username: 'john', roles: ['user'], clientId: 'acme-app', actor: null });
    expect(r.body.scopes).toEqual(expect.arrayContaining(['openid', 'support:write', 'audit:read']));
  });

  it('a user enables and disables support as itself', async () => {
    expect((await call('john', 'GET', '/acme/support', 200)).body).toMatchObject({ tenant: 'acme', access: { enabled: false } });
    const opened = await call('john', 'POST', '/acme/support/requests', 201, { hours: 2, reason: 'TICKET-1' });
    expect(opened.body).toMatchObject({ request: { hours: 2, reason: 'TICKET-1', openedBy: { username: 'john' } }, window: { requests: [expect.anything()] } });
    expect(opened.body).not.toHaveProperty('user');
    expect(await entryOf('acme', 'support.request.opened', opened.res)).toMatchObject({ who: 'john', outcome: 'success', clientId: 'acme-app', actor: { name: 'john' }, details: { hours: 2 } });
    const closed = await call('john', 'POST', '/acme/support/requests/close', 200);
    expect(closed.body).toMatchObject({ closed: [{ reason: 'TICKET-1', closedBy: { username: 'john' } }] });
    expect(await entryOf('acme', 'support.request.closed', closed.res)).toMatchObject({ who: 'john', outcome: 'success' });
  });

  it('a tenant admin manages the users, and no answer carries a password hash', async () => {
    const list = await call('admin', 'GET', '/acme/users', 200);
    expect((list.body as unknown as { username: string }[]).map((u) => u.username)).toEqual(expect.arrayContaining(['john', 'admin']));
    const created = await call('admin', 'POST', '/acme/users', 201, { username: 'mary', password: 'mary-secret-pw', roles: ['user'] });
    expect(created.body).toMatchObject({ username: 'mary', roles: ['user'], enabled: true });
    expect(await entryOf('acme', 'user.created', created.res)).toMatchObject({ who: 'admin', outcome: 'success', subject: { name: 'mary' } });
    const disabled = await call('admin', 'PATCH', '/acme/users/mary', 200, { enabled: false });
    expect(disabled.body).toMatchObject({ username: 'mary', enabled: false });
    expect(await entryOf('acme', 'user.updated', disabled.res)).toMatchObject({ who: 'admin', details: { changed: ['enabled'] } });
    const password = await call('admin', 'PUT', '/acme/users/mary/password', 204, { password: 'mary-new-password' });
    expect(await entryOf('acme', 'user.updated', password.res)).toMatchObject({ who: 'admin', details: { changed: ['password'] } });
    for (const r of [list, created, disabled]) expect(JSON.stringify(r.body)).not.toMatch(/passwordHash|argon2/);
  });

  it('a tenant admin registers a client, changes its redirect URIs and rotates its secret; secrets only in the answers', async () => {
    const created = await call('admin', 'POST', '/acme/clients', 201, { clientId: 'portal', redirectUris: ['https://portal.example.com/cb'] });
    const secret = (created.body as { clientSecret: string }).clientSecret;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.res.headers.get('cache-control')).toBe('no-store');
    expect(await entryOf('acme', 'client.created', created.res)).toMatchObject({ who: 'admin', subject: { type: 'client', name: 'portal' } });
    const list = await call('admin', 'GET', '/acme/clients', 200);
    expect(JSON.stringify(list.body)).not.toMatch(/sealedSecret|clientSecret/);
    const changed = await call('admin', 'PATCH', '/acme/clients/portal', 200, { redirectUris: ['https://portal.example.com/cb', 'https://portal.example.com/cb2'] });
    expect(changed.body).toMatchObject({ clientId: 'portal', redirectUris: ['https://portal.example.com/cb', 'https://portal.example.com/cb2'] });
    expect(await entryOf('acme', 'client.updated', changed.res)).toMatchObject({ details: { redirectUris: ['https://portal.example.com/cb', 'https://portal.example.com/cb2'] } });
    const rotated = await call('admin', 'POST', '/acme/clients/portal/secret', 200);
    const fresh = (rotated.body as { clientSecret: string }).clientSecret;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fresh).not.toBe(secret);
    const entry = await entryOf('acme', 'client.secret.rotated', rotated.res);
    expect(entry).toMatchObject({ who: 'admin', outcome: 'success', subject: { name: 'portal' } });
    const log = JSON.stringify(await w.entries({ tenant: 'acme' }, 500));
    expect(log).not.toContain(secret);
    expect(log).not.toContain(fresh);
  });

  it('the platform admin (a management token) manages tenants and reads another tenant\'s support properties', async () => {
    expect((await call('pat', 'GET', '/management/tenants', 200)).body).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'acme' })]));
    const created = await call('pat', 'POST', '/management/tenants', 201, { id: 'globex', domains: ['app.globex.example.com'], cookieDomain: 'app.globex.example.com' });
    expect(created.body).toMatchObject({ id: 'globex', status: 'active', cookieDomain: 'app.globex.example.com' });
    expect(await entryOf('globex', 'tenant.created', created.res)).toMatchObject({ who: 'pat', outcome: 'success', details: { forwardAuthDomain: 'app.globex.example.com' } });
    const widened = await call('pat', 'PATCH', '/management/tenants/globex', 200, { cookieDomain: 'globex.example.com' });
    expect(widened.body).toMatchObject({ id: 'globex', cookieDomain: 'globex.example.com' });
    expect(await entryOf('globex', 'tenant.updated', widened.res)).toMatchObject({ who: 'pat', outcome: 'success', details: { changed: ['cookieDomain'], before: 'app.globex.example.com', after: 'globex.example.com' } });
    const cleared = await call('pat', 'PATCH', '/management/tenants/globex', 200, { cookieDomain: null });
    expect(cleared.body).toMatchObject({ id: 'globex', cookieDomain: null });
    // A cookie domain covering none of the tenant's domains is refused, as is a body with more than the cookie domain.
    expect((await w.api(tokens.pat!, 'PATCH', '/management/tenants/globex', { cookieDomain: 'globex.example' })).body).toMatchObject({ error: 'invalid_input', message: expect.stringContaining('neither a domain of tenant "globex"') });
    expect((await w.api(tokens.pat!, 'PATCH', '/management/tenants/globex', { cookieDomain: null, name: 'Globex' })).status).toBe(400);
    expect((await w.api(tokens.admin!, 'PATCH', '/acme/tenants/acme', { cookieDomain: null })).status).toBe(403);
    const suspended = await call('pat', 'POST', '/management/tenants/globex/suspend', 200);
    expect(suspended.body).toMatchObject({ tenant: { id: 'globex', status: 'suspended' }, before: 'active', changed: true });
    expect(await entryOf('globex', 'tenant.suspended', suspended.res)).toMatchObject({ who: 'pat' });
    const resumed = await call('pat', 'POST', '/management/tenants/globex/resume', 200);
    expect(await entryOf('globex', 'tenant.resumed', resumed.res)).toMatchObject({ who: 'pat' });
    expect((await call('pat', 'GET', '/management/tenants/acme/support', 200)).body).toMatchObject({ tenant: 'acme' });
  });

  it('settings: the platform admin the global ones, a tenant admin its own stricter mode', async () => {
    expect((await call('pat', 'GET', '/management/settings', 200)).body).toMatchObject({ global: { 'support.requestHours': 24 }, mode: null });
    const global = await call('pat', 'PUT', '/management/settings/support.requestHours', 200, { value: 12 });
    expect(global.body).toMatchObject({ key: 'support.requestHours', before: 24, after: 12 });
    expect(await entryOf('management', 'settings.changed', global.res)).toMatchObject({ who: 'pat', details: { before: 24, after: 12 } });
    const mode = await call('admin', 'PUT', '/acme/settings/support.mode', 200, { value: 'read-only' });
    expect(await entryOf('acme', 'settings.changed', mode.res)).toMatchObject({ who: 'admin', details: { after: 'read-only' } });
    expect((await call('admin', 'GET', '/acme/settings', 200)).body).toMatchObject({ global: { 'support.requestHours': 12 }, mode: { tenant: 'read-only', effective: 'read-only' } });
  });

  it('auditors query, export and verify: a tenant auditor its own tenant, a platform auditor every tenant', async () => {
    const page = await call('audrey', 'GET', '/acme/audit?limit=5&action=client.*', 200);
    const entries = (page.body as unknown as { entries: AuditEntry[] }).entries;
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.tenant === 'acme' && e.action.startsWith('client.'))).toBe(true);
    expect(await entryOf('acme', 'audit.queried', page.res)).toMatchObject({ who: 'audrey', details: { tenant: 'acme', action: 'client.*', returned: entries.length } });

    const csv = await call('audrey', 'GET', '/acme/audit/export?format=csv&action=user.*', 200);
    expect(csv.res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.res.headers.get('content-disposition')).toMatch(/^attachment; filename="?audit-acme\.csv"?$/);
    const rows = String(csv.body.text).trim().split('\r\n');
    expect(rows[0]).toMatch(/^id,seq,time,tenant,who,action/);
    expect(rows.length).toBeGreaterThan(3);
    expect(await entryOf('acme', 'audit.exported', csv.res)).toMatchObject({ who: 'audrey', details: { format: 'csv', action: 'user.*' } });
    const jsonl = await w.api(tokens.audrey!, 'GET', '/acme/audit/export?action=user.created');
    const lines = (await jsonl.res.text()).trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);
    expect(lines.map((e) => e.subject?.name)).toEqual(expect.arrayContaining(['mary', 'john']));

    const verified = await call('audrey', 'POST', '/acme/audit/verify', 200);
    expect(verified.body).toEqual([expect.objectContaining({ tenant: 'acme', ok: true })]);
    expect(await entryOf('acme', 'audit.verified', verified.res)).toMatchObject({ who: 'audrey', outcome: 'success' });

    const all = await call('max', 'GET', '/management/audit?action=tenant.created&limit=100', 200);
    const tenantsSeen = new Set((all.body as unknown as { entries: AuditEntry[] }).entries.map((e) => e.tenant));
    expect([...tenantsSeen].sort()).toEqual(expect.arrayContaining(['acme', 'beta', 'globex']));
  });

  it('(the tests above called every operation of the route table)', () => {
    expect([...succeeded].sort()).toEqual(templates.map((t) => t.key).sort());
  });
});
