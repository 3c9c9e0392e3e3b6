import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Domain } from '../../src/domain.js';
import { AppError } from '../../src/errors.js';
import { createTenant, ensureManagementTenant, requireTenant } from '../../src/tenants/tenants.js';
import { openDomain, testConfig } from '../support/env.js';

describe('tenants', () => {
  let domain: Domain;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ domain, close } = await openDomain(testConfig('tenants')));
  });
  afterAll(async () => close());

  it('creates the management tenant once, even when several processes start together', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => ensureManagementTenant(domain.tenants, domain.clock)));
    expect(new Set(results.map((t) => t.createdAt)).size).toBe(1);
    expect((await domain.tenants.list()).map((t) => t.id)).toEqual(['management']);
  });

  it('creates an active tenant with a name and lowercased domains', async () => {
    const acme = await createTenant(domain.tenants, domain.clock, { id: 'acme', name: 'ACME Corp', domains: ['ACME.example.com'] });
    expect(acme).toMatchObject({ id: 'acme', name: 'ACME Corp', domains: ['acme.example.com'], status: 'active' });
    expect((await requireTenant(domain.tenants, 'acme')).name).toBe('ACME Corp');
  });

  it.each(['A', 'a', '1acme', 'acme_corp', 'x'.repeat(64)])('refuses the tenant id %j', async (id) => {
    await expect(createTenant(domain.tenants, domain.clock, { id })).rejects.toThrow(/tenant id must be 2-63 characters/);
  });

  it('refuses an invalid domain and names an unknown tenant', async () => {
    await expect(createTenant(domain.tenants, domain.clock, { id: 'beta', domains: ['not a host'] })).rejects.toThrow(/host name/);
    await expect(requireTenant(domain.tenants, 'ghost')).rejects.toEqual(new AppError('TENANT_NOT_FOUND', 'tenant "ghost" not found'));
  });
});
