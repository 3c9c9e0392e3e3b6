import type { Party } from '../audit/entry.js';
import { MANAGEMENT_TENANT, createTenant as createTenantRecord, resumeTenant as resumeTenantRecord, suspendTenant as suspendTenantRecord, type TenantStatusChange, type TenantStore } from '../tenants/tenants.js';
import { named, type AdminContext, type AdminRunner } from './context.js';

/** A status change as an audited result: undone by putting the old status back. */
function statusResult(tenants: TenantStore, change: TenantStatusChange) {
  const { tenant, before, changed } = change;
  return {
    value: change,
    subject: { type: 'tenant', id: tenant.id, name: tenant.name, tenant: tenant.id } satisfies Party,
    details: { before, after: tenant.status, changed },
    ...(changed ? { undo: () => tenants.update(tenant.id, (t) => ({ ...t, status: before })) } : {}),
  };
}

/** Tenants: create, suspend, resume. */
export function tenantActions({ domain }: AdminContext, admin: AdminRunner) {
  return {
    /** Every tenant, management included. */
    listTenants: () => admin.read('tenant.list', { tenant: MANAGEMENT_TENANT }, () => domain.tenants.list()),

    createTenant: (input: Parameters<typeof createTenantRecord>[2]) =>
      admin.act({
        permission: 'tenant.create',
        target: { tenant: input.id },
        entry: { tenant: input.id, action: 'tenant.created', subject: named('tenant', input.id, null) },
        run: async () => {
          const tenant = await createTenantRecord(domain.tenants, domain.clock, input);
          return { value: tenant, subject: { type: 'tenant', id: tenant.id, name: tenant.name, tenant: tenant.id }, details: { domains: tenant.domains }, undo: () => domain.tenants.remove(tenant) };
        },
        // Every gateway drops what it cached of the tenant (an "unknown tenant" a moment ago).
        events: (tenant) => [{ type: 'tenant.changed', tenant: tenant.id }],
      }),

    /**
     * Suspends a tenant and tells every gateway, which ends its sessions and tokens. Repeating it
     * changes nothing but publishes again (whatever a missed event left is ended then).
     */
    suspendTenant: (id: string) =>
      admin.act({
        permission: 'tenant.suspend',
        target: { tenant: id },
        entry: { tenant: id, action: 'tenant.suspended', subject: named('tenant', id, id) },
        run: async () => statusResult(domain.tenants, await suspendTenantRecord(domain, id)),
        // (Also what drops every gateway's cached record of the tenant, see tenant-cache.)
        events: (change) => [{ type: 'tenant.suspended', tenant: change.tenant.id }],
      }),

    /** Makes a suspended tenant active again; sessions ended by the suspension stay ended. */
    resumeTenant: (id: string) =>
      admin.act({
        permission: 'tenant.resume',
        target: { tenant: id },
        entry: { tenant: id, action: 'tenant.resumed', subject: named('tenant', id, id) },
        run: async () => statusResult(domain.tenants, await resumeTenantRecord(domain, id)),
        events: (change) => [{ type: 'tenant.changed', tenant: change.tenant.id }],
      }),
  };
}
