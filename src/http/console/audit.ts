import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { AuditEntry } from '../../audit/entry.js';
import { csvHeader, csvRow, jsonLine } from '../../audit/export.js';
import { parseAuditFilter, type AuditFilter } from '../../audit/query.js';
import { MANAGEMENT_TENANT } from '../../tenants/tenants.js';
import { parseInput } from '../../validation.js';
import { AuditEntryPage, AuditPage, filterQuery, NO_FILTER, VerifyPage, type AuditFilterFields } from '../../views/console/audit.js';
import { formBody } from '../forms.js';
import { consoleOf, requireCsrf, sendPage, type Console } from './context.js';

/** Entries per page of the viewer. */
const PAGE_SIZE = 50;

/** An empty field of a GET form is no filter. */
const field = (max: number) => z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().max(max, `must be at most ${max} characters`).optional());

const filterQuerySchema = z.object({
  tenant: field(63),
  from: field(40),
  to: field(40),
  who: field(300),
  actor: field(300),
  subject: field(300),
  action: field(100),
  outcome: field(10),
  cursor: field(1000),
});

const tenantId = z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'not a tenant id');
const entryParams = z.object({ logTenant: tenantId, id: z.string().regex(/^\d{1,20}-\d{1,20}$/, 'not an audit entry id') });
const verifyForm = z.object({ csrf: z.string().max(200), tenant: z.preprocess((v) => (v === '' ? undefined : v), tenantId.optional()) });

/** What a datetime-local field sends (no zone): read as UTC, as the form's labels say. */
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;

/**
 * A typed time as the ISO form the audit filter takes. A time without a zone is UTC; an upper
 * bound covers its whole last minute or second ("to 09:30" includes 09:30:40).
 */
function isoTime(typed: string | undefined, bound: 'from' | 'to'): string | undefined {
  if (typed === undefined || !LOCAL_TIME.test(typed)) return typed;
  const seconds = typed.length === 16 ? ':00' : '';
  if (bound === 'from') return `${typed}${seconds}Z`;
  return typed.length === 16 ? `${typed}:59.999Z` : typed.includes('.') ? `${typed}Z` : `${typed}.999Z`;
}

/** A bound as a datetime-local value again (seconds only where they matter). */
function localTime(epochMs: number | undefined, bound: 'from' | 'to'): string {
  if (epochMs === undefined) return '';
  const iso = new Date(epochMs).toISOString();
  const wholeMinute = bound === 'from' ? epochMs % 60_000 === 0 : epochMs % 60_000 === 59_999;
  return iso.slice(0, wholeMinute ? 16 : 19);
}

/** A platform auditor (management) reads every tenant; a tenant auditor reads its own. */
const readsAllTenants = (c: Console) => c.tenant === MANAGEMENT_TENANT;

/**
 * The filter of a request. A tenant auditor's filter is its own tenant unless the request names
 * another, which is passed on as asked: the policy refuses it (recorded), nothing is replaced.
 */
function readFilter(c: Console, req: Request): { fields: AuditFilterFields; filter: AuditFilter; cursor: string | undefined } {
  const q = parseInput(filterQuerySchema, req.query, 'audit filter');
  const tenant = q.tenant ?? (readsAllTenants(c) ? undefined : c.tenant);
  const filter = parseAuditFilter({ tenant, from: isoTime(q.from, 'from'), to: isoTime(q.to, 'to'), who: q.who, actor: q.actor, subject: q.subject, action: q.action, outcome: q.outcome });
  const fields: AuditFilterFields = {
    ...NO_FILTER,
    // Only a platform auditor's form has the field; a tenant auditor's links need none.
    tenant: readsAllTenants(c) || tenant !== c.tenant ? (tenant ?? '') : '',
    from: localTime(filter.from, 'from'),
    to: localTime(filter.to, 'to'),
    who: q.who ?? '',
    actor: q.actor ?? '',
    subject: q.subject ?? '',
    action: q.action ?? '',
    outcome: q.outcome ?? '',
  };
  return { fields, filter, cursor: q.cursor };
}

/** An export's lines: the CSV header and rows, or JSON lines, from src/audit/export.ts. */
async function* exportLines(entries: AsyncIterable<AuditEntry>, format: 'csv' | 'jsonl'): AsyncGenerator<string> {
  if (format === 'csv') yield csvHeader();
  for await (const e of entries) yield format === 'csv' ? csvRow(e) : jsonLine(e);
}

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', jsonl: 'application/x-ndjson; charset=utf-8' } as const;

/**
 * The audit viewer for auditors: filters (a GET form), a page of entries newest first with
 * "Load more", each entry's fields, downloads of the filter as CSV or JSON lines, and a verify of
 * the hash chain. Every read is an admin action: the policy decides (a tenant auditor reads its
 * own tenant, a platform auditor every tenant) and each query, export and verify is recorded.
 */
export function auditPages(): Router {
  const router = Router();

  router.get('/audit', async (req, res, next) => {
    try {
      const c = consoleOf(res);
      const { fields, filter, cursor } = readFilter(c, req);
      const page = await c.admin.queryAudit(filter, PAGE_SIZE, cursor);
      sendPage(
        res,
        AuditPage({ frame: c.frame, fields, allTenants: readsAllTenants(c), shown: filter.tenant ?? null, entries: page.entries, cursor: cursor ?? null, nextCursor: page.nextCursor }),
      );
    } catch (err) {
      next(err);
    }
  });

  for (const format of ['csv', 'jsonl'] as const) {
    router.get(`/audit/export.${format}`, async (req, res, next) => {
      try {
        const c = consoleOf(res);
        const { filter } = readFilter(c, req);
        // Allowed and recorded before the first byte: a refusal is still the console's 403 page.
        const entries = await c.admin.exportAudit(filter, format);
        const day = new Date(c.frame.now).toISOString().slice(0, 10);
        res.attachment(`audit-${filter.tenant ?? 'all'}-${day}.${format}`);
        res.setHeader('Content-Type', CONTENT_TYPES[format]);
        // Streamed: an export of any size holds one batch; a closed download stops the reading.
        await pipeline(Readable.from(exportLines(entries, format)), res);
      } catch (err) {
        next(err);
      }
    });
  }

  router.get('/audit/entries/:logTenant/:id', async (req, res, next) => {
    try {
      const c = consoleOf(res);
      const { logTenant, id } = parseInput(entryParams, req.params, 'audit entry');
      const { fields } = readFilter(c, req);
      const entry = await c.admin.auditEntry(logTenant, id);
      sendPage(res, AuditEntryPage({ frame: c.frame, entry, back: `${c.base}/audit${filterQuery(fields)}` }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/audit/verify', formBody, async (req, res, next) => {
    try {
      const c = consoleOf(res);
      requireCsrf(req, c);
      const form = parseInput(verifyForm, req.body, 'form');
      const scope = form.tenant ?? (readsAllTenants(c) ? undefined : c.tenant);
      const results = await c.admin.verifyAudit(scope, undefined, c.digests);
      sendPage(res, VerifyPage({ frame: c.frame, scope: scope ?? null, results, back: `${c.base}/audit${filterQuery({ tenant: readsAllTenants(c) ? form.tenant : undefined })}` }));
    } catch (err) {
      next(err);
    }
  });
  return router;
}
