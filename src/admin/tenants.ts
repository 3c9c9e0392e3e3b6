import type { Party } from '../audit/entry.js';
import {
  MANAGEMENT_TENANT,
  createTenant as createTenantRecord,
  resumeTenant as resumeTenantRecord,
  setTenantCookieDomain,
  suspendTenant as suspendTenantRecord,
  tenantView,
  type TenantStatusChange,
  type TenantStore,
} from '../tenants/tenants.js';
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

/** Tenants: create, suspend, resume, update (the cookie domain). */
export function tenantActions({ domain }: AdminContext, admin: AdminRunner) {
  return {
    /** Every tenant, management included. */
    listTenants: () => admin.read('tenant.list', { tenant: MANAGEMENT_TENANT }, async () => (await domain.tenants.list()).map(tenantView)),

    createTenant: (input: Parameters<typeof createTenantRecord>[2]) =>
      admin.act({
        permission: 'tenant.create',
        target: { tenant: input.id },
        entry: { tenant: input.id, action: 'tenant.created', subject: named('tenant', input.id, null) },
        run: async () => {
          const tenant = await createTenantRecord(domain.tenants, domain.clock, input);
          return {
            value: tenant,
            subject: { type: 'tenant', id: tenant.id, name: tenant.name, tenant: tenant.id },
            // Detail keys naming a cookie are refused as secrets (audit/entry.ts), hence this name.
            details: { domains: tenant.domains, forwardAuthDomain: tenant.cookieDomain },
            undo: () => domain.tenants.remove(tenant),
          };
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

    /**
     * Sets (a host name) or clears (null) the tenant's forward-auth cookie domain. Every gateway
     * drops its cached record, so the next forward-auth answer sets the cookie the new way.
     */
    updateTenant: (input: { id: string; cookieDomain: string | null }) =>
      admin.act({
        permission: 'tenant.update',
        target: { tenant: input.id },
        entry: { tenant: input.id, action: 'tenant.updated', subject: named('tenant', input.id, input.id) },
        run: async () => {
          const change = await setTenantCookieDomain(domain, input.id, input.cookieDomain);
          const { tenant, before, changed } = change;
          return {
            value: change,
            subject: { type: 'tenant', id: tenant.id, name: tenant.name, tenant: tenant.id } satisfies Party,
            // Like user.updated: the fields that changed, by name (a key naming a cookie would be refused as a secret).
            details: { changed: changed ? ['cookieDomain'] : [], before, after: tenant.cookieDomain },
            ...(changed ? { undo: () => domain.tenants.update(tenant.id, (t) => ({ ...t, cookieDomain: before })) } : {}),
          };
        },
        events: (change) => [{ type: 'tenant.changed', tenant: change.tenant.id }],
      }),
  };
}
