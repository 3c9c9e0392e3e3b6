import type { AuditEntry } from '../audit/entry.js';
import { AppError } from '../errors.js';
import { queryEntries, queryPage, type AuditFilter } from '../audit/query.js';
import { checkActorIndex } from '../audit/index-check.js';
import { verifyTenantLog, type DigestSource, type VerifyResult } from '../audit/verify.js';
import { MANAGEMENT_TENANT, requireTenant } from '../tenants/tenants.js';
import type { AdminContext, AdminRunner } from './context.js';

/** Filters as entry details: what was asked, in ISO form. */
function filterDetails(f: AuditFilter): AuditEntry['details'] {
  const d: AuditEntry['details'] = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    d[k] = k === 'from' || k === 'to' ? new Date(v as number).toISOString() : String(v).slice(0, 300);
  }
  return d;
}

/** The audit log: query a page, export everything, verify the chains; each recorded itself. */
export function auditActions(c: AdminContext, admin: AdminRunner) {
  const { domain } = c;
  const reads = { audit: domain.auditStore, tenants: domain.tenants, users: domain.users };
  return {
    /** One page of entries; the query itself is recorded before the page is shown. */
    queryAudit: (filter: AuditFilter, limit: number, cursor?: string) => {
      const tenant = filter.tenant ?? MANAGEMENT_TENANT;
      return admin.act({
        permission: 'audit.query',
        target: { tenant },
        entry: { tenant, action: 'audit.queried', details: filterDetails(filter) },
        run: async () => {
          // A tenant that does not exist has no log: say so, rather than show an empty one.
          if (filter.tenant !== undefined) await requireTenant(domain.tenants, filter.tenant);
          const page = await queryPage(reads, filter, limit, cursor);
          return { value: page, details: { returned: page.entries.length, limit } };
        },
      });
    },

    /** One entry of a tenant by its id (an entry's detail page); recorded as a query naming it. */
    auditEntry: (tenant: string, id: string) =>
      admin.act({
        permission: 'audit.query',
        target: { tenant },
        entry: { tenant, action: 'audit.queried', details: { id: id.slice(0, 100) } },
        run: async () => {
          // Only a stream id is looked up: anything else is no entry, not a range.
          const [stored] = /^\d{1,20}-\d{1,20}$/.test(id) ? await domain.auditStore.byIds([{ tenant, id }]) : [];
          if (!stored) throw new AppError('AUDIT_ENTRY_NOT_FOUND', undefined, { params: { tenant, id: id.slice(0, 100) } });
          return { value: JSON.parse(stored.json) as AuditEntry, details: { returned: 1 } };
        },
      }),

    /** Every matching entry, streamed; the export is recorded before the first entry leaves. */
    exportAudit: async (filter: AuditFilter, format: 'jsonl' | 'csv', limit?: number): Promise<AsyncIterable<AuditEntry>> => {
      const tenant = filter.tenant ?? MANAGEMENT_TENANT;
      const details = { ...filterDetails(filter), format, ...(limit !== undefined ? { limit } : {}) };
      await admin.allow('audit.export', { tenant }, { tenant, action: 'audit.exported', details });
      if (filter.tenant !== undefined) await requireTenant(domain.tenants, filter.tenant);
      await domain.audit.record({ ...c.audit, tenant, action: 'audit.exported', outcome: 'success', details });
      return (async function* () {
        let n = 0;
        for await (const hit of queryEntries(reads, filter)) {
          if (limit !== undefined && n++ >= limit) return;
          yield hit.entry;
        }
      })();
    },

    /**
     * Verifies the chains of one tenant or of all, and with `digests` each chain against its
     * signed digests; the verification is recorded with its outcome.
     */
    verifyAudit: async (tenant: string | undefined, onProgress?: (tenant: string, checked: number) => void, digests?: DigestSource): Promise<VerifyResult[]> => {
      const scope = tenant ?? MANAGEMENT_TENANT;
      await admin.allow('audit.verify', { tenant: scope }, { tenant: scope, action: 'audit.verified' });
      if (tenant !== undefined) await requireTenant(domain.tenants, tenant);
      const tenants = tenant ? [tenant] : (await domain.tenants.list()).map((t) => t.id);
      const results: VerifyResult[] = [];
      for (const t of tenants) {
        const chain = await verifyTenantLog(domain.auditStore, t, (n) => onProgress?.(t, n), digests);
        // The support users' cross-tenant index must point at every one of their entries.
        const indexGaps = await checkActorIndex(domain.auditStore, t);
        const pendingActions = (await domain.auditStore.intents(t)).length;
        results.push({ ...chain, indexGaps, pendingActions });
      }
      const broken = results.filter((r) => !r.ok || (r.indexGaps?.length ?? 0) > 0);
      await domain.audit.record({
        ...c.audit,
        tenant: scope,
        action: 'audit.verified',
        outcome: broken.length === 0 ? 'success' : 'failure',
        cause: broken.length === 0 ? null : broken.map((r) => (r.ok ? `${r.tenant}: ${r.indexGaps!.length} entries missing from the support index` : `${r.tenant} at position ${r.position}: ${r.reason}`)).join('; ').slice(0, 500),
        details: {
          tenants: tenants.slice(0, 50),
          entries: results.reduce((n, r) => n + r.entries, 0),
          digests: digests ? results.reduce((n, r) => n + (r.digests?.digests ?? 0), 0) : 'not checked',
        },
      });
      return results;
    },
  };
}
