/**
 * The administrative actions, each recorded in the audit log (SPEC §6): the CLI, the demo and
 * the admin API call these rather than the stores, so no change goes unaudited.
 */
import { audited, type AuditContext } from './audit/audited.js';
import type { AuditEntry, Party } from './audit/entry.js';
import { queryEntries, queryPage, type AuditFilter } from './audit/query.js';
import { verifyTenantLog, type VerifyResult } from './audit/verify.js';
import { createClient as createClientRecord } from './clients/clients.js';
import type { Domain } from './domain.js';
import type { Logger } from './logger.js';
import { setSetting as storeSetting, type Settings } from './settings/settings.js';
import { createTenant as createTenantRecord } from './tenants/tenants.js';
import { createUser as createUserRecord, setUser as changeUser, type User } from './users/users.js';

export type Operations = ReturnType<typeof operationsFor>;

/** Filters as entry details: what was asked, in ISO form. */
function filterDetails(f: AuditFilter): AuditEntry['details'] {
  const d: AuditEntry['details'] = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    d[k] = k === 'from' || k === 'to' ? new Date(v as number).toISOString() : String(v).slice(0, 300);
  }
  return d;
}

const userParty = (u: Pick<User, 'id' | 'username' | 'tenant'>): Party => ({ type: 'user', id: u.id, name: u.username, tenant: u.tenant });
const named = (type: Party['type'], name: string, tenant: string | null): Party => ({ type, id: null, name: name.slice(0, 200), tenant: tenant?.slice(0, 63) ?? null });

export function operationsFor(domain: Domain, ctx: AuditContext, logger?: Logger) {
  const deps = { audit: domain.audit, tenants: domain.tenants, logger };
  return {
    createTenant: (input: Parameters<typeof createTenantRecord>[2]) =>
      audited(deps, ctx, { tenant: input.id, action: 'tenant.created', subject: named('tenant', input.id, null) }, async () => {
        const tenant = await createTenantRecord(domain.tenants, domain.clock, input);
        return {
          value: tenant,
          subject: { type: 'tenant', id: tenant.id, name: tenant.name, tenant: tenant.id },
          details: { domains: tenant.domains },
          undo: () => domain.tenants.remove(tenant),
        };
      }),

    createUser: (input: Parameters<typeof createUserRecord>[1]) =>
      audited(deps, ctx, { tenant: input.tenant, action: 'user.created', subject: named('user', input.username, input.tenant) }, async () => {
        const user = await createUserRecord(domain, input);
        return { value: user, subject: userParty(user), details: { roles: user.roles, scope: user.scope }, undo: () => domain.users.remove(user) };
      }),

    setUser: (input: Parameters<typeof changeUser>[1]) =>
      audited(deps, ctx, { tenant: input.tenant, action: 'user.updated', subject: named('user', input.username, input.tenant) }, async () => {
        const { before, after } = await changeUser(domain, input);
        const changed = [
          before.enabled !== after.enabled && 'enabled',
          before.roles.join() !== after.roles.join() && 'roles',
          before.scope.join() !== after.scope.join() && 'scope',
          before.passwordHash !== after.passwordHash && 'password',
        ].filter((c): c is string => typeof c === 'string');
        return {
          value: after,
          subject: userParty(after),
          details: { changed, enabled: after.enabled, roles: after.roles, scope: after.scope },
          undo: () => domain.users.update(after.tenant, after.id, () => before),
        };
      }),

    createClient: (input: Parameters<typeof createClientRecord>[1]) =>
      audited(deps, ctx, { tenant: input.tenant, action: 'client.created', subject: named('client', input.clientId, input.tenant) }, async () => {
        const created = await createClientRecord(domain, input);
        const c = created.client;
        return {
          value: created,
          subject: { type: 'client', id: c.clientId, name: c.clientId, tenant: c.tenant },
          details: { public: c.public, firstParty: c.firstParty, redirectUris: c.redirectUris },
          undo: () => domain.clients.remove(c.tenant, c.clientId),
        };
      }),

    setSetting: (key: string, value: string) =>
      audited(deps, ctx, { tenant: 'management', action: 'settings.changed', subject: named('setting', key, 'management') }, async () => {
        const change = await storeSetting(domain.settings, domain.clock, key, value);
        return {
          value: change,
          details: { key: change.key, before: change.before, after: change.after },
          undo: () => domain.settings.update((s) => ({ ...s, [change.key]: change.before as Settings[typeof change.key] })),
        };
      }),

    /** One page of entries; the query itself is recorded before the page is shown. */
    queryAudit: (filter: AuditFilter, limit: number, cursor?: string) =>
      audited(deps, ctx, { tenant: filter.tenant ?? 'management', action: 'audit.queried', details: filterDetails(filter) }, async () => {
        const page = await queryPage({ audit: domain.auditStore, tenants: domain.tenants, users: domain.users }, filter, limit, cursor);
        return { value: page, details: { returned: page.entries.length, limit } };
      }),

    /** Every matching entry, streamed; the export is recorded before the first entry leaves. */
    exportAudit: async (filter: AuditFilter, format: 'jsonl' | 'csv', limit?: number): Promise<AsyncIterable<AuditEntry>> => {
      await domain.audit.record({
        ...ctx,
        tenant: filter.tenant ?? 'management',
        action: 'audit.exported',
        outcome: 'success',
        details: { ...filterDetails(filter), format, ...(limit !== undefined ? { limit } : {}) },
      });
      const deps2 = { audit: domain.auditStore, tenants: domain.tenants, users: domain.users };
      return (async function* () {
        let n = 0;
        for await (const hit of queryEntries(deps2, filter)) {
          if (limit !== undefined && n++ >= limit) return;
          yield hit.entry;
        }
      })();
    },

    /** Verifies the chains of one tenant or of all; the verification is recorded with its outcome. */
    verifyAudit: async (tenant: string | undefined, onProgress?: (tenant: string, checked: number) => void): Promise<VerifyResult[]> => {
      const tenants = tenant ? [tenant] : (await domain.tenants.list()).map((t) => t.id);
      const results: VerifyResult[] = [];
      for (const t of tenants) results.push(await verifyTenantLog(domain.auditStore, t, (n) => onProgress?.(t, n)));
      const broken = results.filter((r) => !r.ok);
      await domain.audit.record({
        ...ctx,
        tenant: tenant ?? 'management',
        action: 'audit.verified',
        outcome: broken.length === 0 ? 'success' : 'failure',
        cause: broken.length === 0 ? null : broken.map((r) => (r.ok ? '' : `${r.tenant} at position ${r.position}: ${r.reason}`)).join('; ').slice(0, 500),
        details: { tenants: tenants.slice(0, 50), entries: results.reduce((n, r) => n + r.entries, 0) },
      });
      return results;
    },
  };
}
