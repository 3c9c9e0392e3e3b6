import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import { z } from 'zod';
import type { AuditEntry } from '../../audit/entry.js';
import { writeEntries } from '../../audit/export.js';
import { auditFilterSchema, type AuditFilter } from '../../audit/query.js';
import type { DigestSource } from '../../audit/verify.js';
import { MANAGEMENT_TENANT } from '../../tenants/tenants.js';
import type { Caller } from './bearer.js';
import { route } from './route.js';
import { auditEntry, auditPage, tenantPath, verifyAnswer } from './schemas.js';

const limit = (max: number) => z.coerce.number().int().min(1).max(max);

/** The filters of `supportgate audit query` (audit/query.ts), as query parameters; unknown ones refused. */
const queryParams = auditFilterSchema
  .safeExtend({
    limit: limit(1000).default(100).meta({ description: 'Entries per page (1-1000)' }),
    cursor: z.string().max(2000).optional().meta({ description: 'The nextCursor of the previous page' }),
  })
  .strict();

const exportParams = auditFilterSchema
  .safeExtend({
    format: z.enum(['jsonl', 'csv']).default('jsonl').meta({ description: 'JSON lines (one entry a line) or RFC 4180 CSV' }),
    limit: limit(1_000_000).optional().meta({ description: 'At most this many entries (default: every match)' }),
  })
  .strict();

const verifyBody = z
  .strictObject({ tenant: z.string().max(63).optional().meta({ description: "One tenant's chain (default: the caller's tenant; from management every tenant)" }) })
  .meta({ id: 'AuditVerifyInput' });

/**
 * The tenant a filter reads: the one asked for, else the caller's own. From management (a
 * platform auditor) no tenant means every tenant; a tenant auditor asking for another is refused.
 */
function scoped<F extends AuditFilter>(filter: F, caller: Caller): F {
  if (filter.tenant !== undefined || caller.tenant === MANAGEMENT_TENANT) return filter;
  return { ...filter, tenant: caller.tenant };
}

const MEDIA = { csv: 'text/csv; charset=utf-8', jsonl: 'application/jsonl; charset=utf-8' } as const;

/** Streams the entries as a download; a caller that goes away stops the export (no writer left waiting). */
async function download(res: Response, entries: AsyncIterable<AuditEntry>, format: 'jsonl' | 'csv', tenant: string | undefined): Promise<void> {
  res.status(200).type(MEDIA[format]);
  res.attachment(`audit-${tenant ?? 'all-tenants'}.${format}`);
  const out = new PassThrough();
  const delivered = pipeline(out, res);
  try {
    await writeEntries(entries, format, out);
    out.end();
  } catch (err) {
    // Headers are gone: the error handler can only cut the connection (a truncated download).
    out.destroy(err as Error);
    await delivered.catch(() => undefined);
    throw err;
  }
  await delivered;
}

/** The audit log (SPEC §6): query, export, verify, each recorded itself. Auditors only. */
export function auditRoutes(deps: { digests?: DigestSource | undefined }) {
  return [
    route({
      id: 'queryAudit',
      method: 'get',
      path: '/{tenant}/audit',
      tag: 'audit',
      summary: 'One page of entries, newest first; filters combine',
      description: "Without ?tenant= a tenant auditor reads its own tenant; a platform auditor (management) reads every tenant.",
      permission: 'audit.query',
      params: tenantPath,
      query: queryParams,
      answer: { status: 200, description: 'A page and the cursor of the next one', schema: auditPage },
      run: ({ admin, caller, query }) => {
        const { limit: pageSize, cursor, ...filter } = query;
        return admin.queryAudit(scoped(filter, caller), pageSize, cursor);
      },
    }),
    route({
      id: 'exportAudit',
      method: 'get',
      path: '/{tenant}/audit/export',
      tag: 'audit',
      summary: 'Every matching entry as a download (JSON lines or CSV), streamed',
      permission: 'audit.export',
      params: tenantPath,
      query: exportParams,
      answer: {
        status: 200,
        description: 'The entries, newest first (Content-Disposition: attachment)',
        media: { 'application/jsonl': auditEntry, 'text/csv': z.string().meta({ description: 'A header row, then one row per entry (the CLI\'s columns)' }) },
      },
      run: async ({ admin, caller, query, res }) => {
        const { format, limit: max, ...filter } = query;
        const f = scoped(filter, caller);
        await download(res, await admin.exportAudit(f, format, max), format, f.tenant);
      },
    }),
    route({
      id: 'verifyAudit',
      method: 'post',
      path: '/{tenant}/audit/verify',
      tag: 'audit',
      summary: "Verifies the hash chain (and the signed digests) of the caller's tenant, or of one or every tenant from management",
      permission: 'audit.verify',
      params: tenantPath,
      body: verifyBody,
      answer: { status: 200, description: "Each tenant's verdict (the verification is recorded with its outcome)", schema: verifyAnswer },
      run: ({ admin, caller, body }) => admin.verifyAudit(body.tenant ?? (caller.tenant === MANAGEMENT_TENANT ? undefined : caller.tenant), undefined, deps.digests),
    }),
  ];
}
