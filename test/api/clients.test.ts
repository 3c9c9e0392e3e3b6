import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { operatorAdmin, type Admin } from '../../src/admin/index.js';
import { API_SCOPES } from '../../src/admin/policy.js';
import { API_SCOPE_VALUES } from '../../src/clients/clients.js';
import type { Domain } from '../../src/domain.js';
import { isAppError } from '../../src/errors.js';
import { openDomain, testConfig } from '../support/env.js';

const failure = (p: Promise<unknown>) => p.then(() => null, (err: unknown) => (isAppError(err) ? { code: err.code, status: err.status, message: err.message } : err));

describe('clients: API scopes, redirect URI changes and secret rotation', () => {
  let opened: Awaited<ReturnType<typeof openDomain>>;
  let domain: Domain;
  let ops: Admin;

  beforeAll(async () => {
    opened = await openDomain(testConfig('api-client-domain'));
    domain = opened.domain;
    ops = operatorAdmin(domain, { who: 'cli:test', actor: null, channel: 'cli' });
    await ops.createTenant({ id: 'acme' });
  });
  afterAll(async () => opened.close());

  it('a client is registered only with the scopes the policy maps to actions', () => {
    expect([...API_SCOPE_VALUES].sort()).toEqual(Object.keys(API_SCOPES).sort());
  });

  it('a machine client has API scopes and no redirect URI; an unknown scope, a public one or one doing nothing is refused', async () => {
    const { client, clientSecret } = await ops.createClient({ tenant: 'acme', clientId: 'reports', redirectUris: [], apiScopes: ['audit:read', 'audit:read'] });
    expect([client.apiScopes, client.redirectUris, clientSecret]).toEqual([['audit:read'], [], expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)]);
    expect(client.sealedSecret).not.toContain(clientSecret);
    expect(await failure(ops.createClient({ tenant: 'acme', clientId: 'x', redirectUris: [], apiScopes: ['audit:write'] }))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/^invalid client: apiScopes\.0: API scope must be one of audit:read, /),
    });
    expect(await failure(ops.createClient({ tenant: 'acme', clientId: 'x', redirectUris: ['https://x.example.com/cb'], public: true, apiScopes: ['audit:read'] }))).toMatchObject({
      message: 'invalid client: apiScopes: a client with API scopes authenticates with a secret: it cannot be --public',
    });
    expect(await failure(ops.createClient({ tenant: 'acme', clientId: 'x', redirectUris: [] }))).toMatchObject({ message: 'invalid client: redirectUris: give at least one --redirect-uri (or --api-scope for a machine client)' });
  });

  it('changes redirect URIs (recorded with the new ones), keeps what a client needs, and says when a client is unknown', async () => {
    await ops.createClient({ tenant: 'acme', clientId: 'portal', redirectUris: ['https://portal.example.com/cb'], postLogoutRedirectUris: ['https://portal.example.com/'] });
    const changed = await ops.updateClient({ tenant: 'acme', clientId: 'portal', redirectUris: ['https://portal.example.com/a', 'https://portal.example.com/b'] });
    expect([changed.redirectUris, changed.postLogoutRedirectUris]).toEqual([['https://portal.example.com/a', 'https://portal.example.com/b'], ['https://portal.example.com/']]);
    expect(changed).not.toHaveProperty('sealedSecret');
    const [entry] = (await domain.auditStore.newest('acme', '+', '-', 1)).map((s) => JSON.parse(s.json) as { action: string; details: unknown });
    expect(entry).toMatchObject({ action: 'client.updated', details: { redirectUris: ['https://portal.example.com/a', 'https://portal.example.com/b'], postLogoutRedirectUris: ['https://portal.example.com/'] } });
    expect(await failure(ops.updateClient({ tenant: 'acme', clientId: 'portal', redirectUris: [] }))).toMatchObject({ message: 'invalid client change: redirectUris: give at least one --redirect-uri (or --api-scope for a machine client)' });
    expect(await failure(ops.updateClient({ tenant: 'acme', clientId: 'portal', redirectUris: ['http://portal.example.com/cb'] }))).toMatchObject({ status: 400, message: expect.stringMatching(/^invalid client change: redirectUris\.0: redirect URIs must be absolute https/) });
    expect(await failure(ops.updateClient({ tenant: 'acme', clientId: 'portal' }))).toMatchObject({ message: 'invalid client change: give redirectUris, postLogoutRedirectUris, backchannelLogoutUri or backchannelLogoutSessionRequired' });
    expect(await failure(ops.updateClient({ tenant: 'acme', clientId: 'ghost', redirectUris: ['https://g.example.com/cb'] }))).toMatchObject({ code: 'CLIENT_NOT_FOUND', status: 404, message: 'client "ghost" not found in tenant "acme"' });
    expect((await domain.clients.get('acme', 'portal'))?.redirectUris).toEqual(['https://portal.example.com/a', 'https://portal.example.com/b']);
  });

  it('concurrent changes of one client never overwrite each other (compare-and-set)', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        domain.clients.update('acme', 'portal', (c) => ({ ...c, postLogoutRedirectUris: [...c.postLogoutRedirectUris, `https://portal.example.com/${i}`] })),
      ),
    );
    expect((await domain.clients.get('acme', 'portal'))?.postLogoutRedirectUris).toHaveLength(21);
  });

  it('rotates a secret: the new one is returned once, stored only sealed; a public client has none to rotate', async () => {
    const before = (await domain.clients.get('acme', 'portal'))!;
    const { client, clientSecret } = await ops.rotateClientSecret({ tenant: 'acme', clientId: 'portal' });
    const stored = (await domain.clients.get('acme', 'portal'))!;
    expect(stored.sealedSecret).not.toBe(before.sealedSecret);
    expect(domain.secretBox.open(stored.sealedSecret!)).toBe(clientSecret);
    expect(JSON.stringify(stored)).not.toContain(clientSecret);
    expect(client).not.toHaveProperty('sealedSecret');
    await ops.createClient({ tenant: 'acme', clientId: 'spa', public: true, redirectUris: ['https://spa.example.com/cb'] });
    expect(await failure(ops.rotateClientSecret({ tenant: 'acme', clientId: 'spa' }))).toMatchObject({ code: 'INVALID_INPUT', status: 400, message: 'client "spa" is public: it has no secret to rotate' });
  });
});
