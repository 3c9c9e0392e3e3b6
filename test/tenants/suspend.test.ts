import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { queryPage } from '../../src/audit/query.js';
import type { Domain } from '../../src/domain.js';
import { AppError } from '../../src/errors.js';
import type { AccessEvent } from '../../src/events.js';
import { operatorAdmin, type Admin } from '../../src/admin/index.js';
import { createTenant, resumeTenant, suspendTenant } from '../../src/tenants/tenants.js';
import { tenantAdminWorld, type TenantAdminWorld } from '../support/tenant-admin.js';

describe('suspending and resuming a tenant', () => {
  let world: TenantAdminWorld;
  let domain: Domain;
  let ops: Admin;
  let events: AccessEvent[];

  beforeAll(async () => {
    world = await tenantAdminWorld('tenant-suspend');
    ({ domain, ops, events } = world);
  });
  afterAll(async () => {
    await world?.close();
  });

  const entries = async (tenant: string, action: string) =>
    (await queryPage({ audit: domain.auditStore, tenants: domain.tenants, users: domain.users }, { tenant, action }, 50)).entries;
  const eventsFor = async (tenant: string, count: number) => {
    for (let i = 0; i < 100 && events.filter((e) => e.type === 'tenant.suspended' && e.tenant === tenant).length < count; i++) await new Promise((r) => setTimeout(r, 20));
    return events.filter((e) => e.type === 'tenant.suspended' && e.tenant === tenant);
  };

  it('changes the status (and notes when it was suspended) and nothing else of the record, and says when it was already so', async () => {
    const created = await createTenant(domain.tenants, domain.clock, { id: 'acme', name: 'ACME', domains: ['acme.example.com'] });
    const suspendedAt = new Date(domain.clock.now()).toISOString();
    expect(await suspendTenant(domain, 'acme')).toEqual({ tenant: { ...created, status: 'suspended', suspendedAt: expect.any(String) }, before: 'active', changed: true });
    expect(await domain.tenants.get('acme')).toEqual({ ...created, status: 'suspended', suspendedAt: expect.any(String) });
    expect(Date.parse((await domain.tenants.get('acme'))!.suspendedAt!)).toBeGreaterThanOrEqual(Date.parse(suspendedAt));
    expect((await domain.tenants.findByDomain('acme.example.com'))?.status).toBe('suspended');
    expect(await suspendTenant(domain, 'acme')).toMatchObject({ before: 'suspended', changed: false, tenant: { status: 'suspended' } });
    // Resumed, the record keeps when it was last suspended: what was issued before stays dead.
    expect(await resumeTenant(domain, 'acme')).toMatchObject({ before: 'suspended', changed: true, tenant: { status: 'active', suspendedAt: expect.any(String) } });
    expect(await resumeTenant(domain, 'acme')).toMatchObject({ before: 'active', changed: false, tenant: { status: 'active' } });
  });

  it('never suspends the management tenant, and names an unknown tenant', async () => {
    await expect(suspendTenant(domain, 'management')).rejects.toEqual(new AppError('FORBIDDEN', 'the management tenant can never be suspended'));
    expect((await domain.tenants.get('management'))?.status).toBe('active');
    await expect(suspendTenant(domain, 'ghost')).rejects.toEqual(new AppError('TENANT_NOT_FOUND', 'tenant "ghost" not found'));
    await expect(resumeTenant(domain, 'Not An Id')).rejects.toEqual(new AppError('TENANT_NOT_FOUND', 'tenant "Not An Id" not found'));
  });

  it('updates a tenant read-modify-write: concurrent changes are all kept, and id and domains cannot change', async () => {
    await createTenant(domain.tenants, domain.clock, { id: 'busy', name: 'n' });
    await Promise.all(Array.from({ length: 10 }, () => domain.tenants.update('busy', (t) => ({ ...t, name: `${t.name}+` }))));
    expect((await domain.tenants.get('busy'))?.name).toBe(`n${'+'.repeat(10)}`);
    await expect(domain.tenants.update('busy', (t) => ({ ...t, domains: ['busy.example.com'] }))).rejects.toThrow('cannot change its id or domains');
    await expect(domain.tenants.update('nobody', (t) => t)).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
  });

  it('records tenant.suspended and tenant.resumed under the operator and tells every process, also when repeated', async () => {
    await createTenant(domain.tenants, domain.clock, { id: 'beta', name: 'Beta' });
    await ops.suspendTenant('beta');
    await ops.suspendTenant('beta');
    await ops.resumeTenant('beta');
    // Repeating a suspension publishes again: whatever a missed event left is ended then.
    expect(await eventsFor('beta', 2)).toEqual([{ type: 'tenant.suspended', tenant: 'beta' }, { type: 'tenant.suspended', tenant: 'beta' }]);
    const suspended = await entries('beta', 'tenant.suspended');
    expect(suspended.map((e) => e.details)).toEqual([
      { before: 'suspended', after: 'suspended', changed: false },
      { before: 'active', after: 'suspended', changed: true },
    ]);
    expect(suspended[1]).toMatchObject({ who: 'cli:tester', outcome: 'success', channel: 'cli', subject: { type: 'tenant', id: 'beta', name: 'Beta' } });
    expect((await entries('beta', 'tenant.resumed'))[0]).toMatchObject({ who: 'cli:tester', outcome: 'success', details: { before: 'suspended', after: 'active', changed: true } });
  });

  it('records a refused suspension of management as a failure with its cause, and publishes nothing', async () => {
    const before = events.length;
    await expect(ops.suspendTenant('management')).rejects.toThrow('the management tenant can never be suspended');
    expect((await entries('management', 'tenant.suspended'))[0]).toMatchObject({ outcome: 'failure', cause: 'forbidden: the management tenant can never be suspended' });
    // Events arrive in publish order: once a later one is here, a publish of the refused one would be too.
    await ops.suspendTenant('beta');
    for (let i = 0; i < 100 && events.length === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(events.slice(before)).toEqual([{ type: 'tenant.suspended', tenant: 'beta' }]);
  });

  it('puts the status back when the suspension cannot be audited', async () => {
    await createTenant(domain.tenants, domain.clock, { id: 'gamma' });
    const failing = operatorAdmin({ ...domain, audit: Object.assign(Object.create(domain.audit) as Domain['audit'], { record: () => Promise.reject(new Error('audit down')) }) }, { who: 'cli:tester', actor: null, channel: 'cli' });
    await expect(failing.suspendTenant('gamma')).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    expect((await domain.tenants.get('gamma'))?.status).toBe('active');
  });
});
