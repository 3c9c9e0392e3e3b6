import { z } from 'zod';
import { AppError } from '../errors.js';
import { MANAGEMENT_TENANT, type TenantStore } from '../tenants/tenants.js';
import type { UserStore } from '../users/users.js';
import { parseInput } from '../validation.js';
import { AUDIT_ACTIONS, type AuditEntry } from './entry.js';
import type { AuditStore, StoredEntry } from './store.js';
import { compareIds } from './verify.js';

/** What auditors filter by; every given filter must hold (they combine with AND). */
export interface AuditFilter {
  tenant?: string | undefined;
  /** Inclusive, epoch ms. */
  from?: number | undefined;
  /** Inclusive, epoch ms. */
  to?: number | undefined;
  /** Exact, or a pattern with `*` (e.g. `jill$*`: every support session of jill). */
  who?: string | undefined;
  /** A username or id; `tenant/username` pins the actor's tenant. */
  actor?: string | undefined;
  subject?: string | undefined;
  /** Exact, or a prefix ending in `.*` (e.g. `support.*`). */
  action?: string | undefined;
  outcome?: 'success' | 'failure' | undefined;
}

const isoDate = z
  .string()
  .refine((s) => z.iso.datetime({ offset: true }).safeParse(s).success || z.iso.date().safeParse(s).success, 'must be an ISO date (2026-11-01) or date-time (2026-11-01T09:30:00Z)');

export const auditFilterSchema = z
  .object({
    tenant: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'not a tenant id').optional(),
    from: isoDate.transform((s) => Date.parse(s)).optional(),
    to: isoDate.transform((s) => (s.length === 10 ? Date.parse(s) + 86_399_999 : Date.parse(s))).optional(),
    who: z.string().min(1).max(300).optional(),
    actor: z.string().min(1).max(300).optional(),
    subject: z.string().min(1).max(300).optional(),
    action: z
      .string()
      .refine((a) => (AUDIT_ACTIONS as readonly string[]).includes(a) || (a.endsWith('.*') && AUDIT_ACTIONS.some((x) => x.startsWith(a.slice(0, -1)))), {
        message: `must be an action of the catalogue (${AUDIT_ACTIONS.join(', ')}) or a prefix such as support.*`,
      })
      .optional(),
    outcome: z.enum(['success', 'failure'], { error: 'must be success or failure' }).optional(),
  })
  .refine((f) => f.from === undefined || f.to === undefined || f.from <= f.to, { message: 'from must not be after to', path: ['from'] });

/** Validates filters typed by a person (ISO dates, catalogue actions). */
export function parseAuditFilter(input: Record<string, string | undefined>): AuditFilter {
  return parseInput(auditFilterSchema, input, 'audit filter');
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
}

function partyMatcher(spec: string): (p: AuditEntry['actor']) => boolean {
  const slash = spec.indexOf('/');
  const tenant = slash > 0 ? spec.slice(0, slash) : undefined;
  const name = (slash > 0 ? spec.slice(slash + 1) : spec).toLowerCase();
  return (p) => p !== null && (tenant === undefined || p.tenant === tenant) && (p.id?.toLowerCase() === name || p.name?.toLowerCase() === name);
}

/** The filter as one predicate over an entry. */
export function matcher(filter: AuditFilter): (e: AuditEntry) => boolean {
  const who = filter.who ? glob(filter.who) : undefined;
  const actor = filter.actor ? partyMatcher(filter.actor) : undefined;
  const subject = filter.subject ? partyMatcher(filter.subject) : undefined;
  const action = filter.action;
  const actionPrefix = action?.endsWith('.*') ? action.slice(0, -1) : undefined;
  return (e) => {
    const t = Date.parse(e.time);
    return (
      (filter.tenant === undefined || e.tenant === filter.tenant) &&
      (filter.from === undefined || t >= filter.from) &&
      (filter.to === undefined || t <= filter.to) &&
      (filter.outcome === undefined || e.outcome === filter.outcome) &&
      (action === undefined || (actionPrefix ? e.action.startsWith(actionPrefix) : e.action === action)) &&
      (who === undefined || who.test(e.who)) &&
      (actor === undefined || actor(e.actor)) &&
      (subject === undefined || subject(e.subject))
    );
  };
}

/**
 * A cheap test on the stored JSON before parsing it: entries are stored as JSON.stringify wrote
 * them, so an exact action, outcome or who appears verbatim in every entry that can match.
 * It only skips entries that cannot match; the full matcher still decides.
 */
function prefilter(filter: AuditFilter): (json: string) => boolean {
  const needles: string[] = [];
  if (filter.action && !filter.action.endsWith('.*')) needles.push(`"action":${JSON.stringify(filter.action)}`);
  if (filter.outcome) needles.push(`"outcome":${JSON.stringify(filter.outcome)}`);
  if (filter.who && !filter.who.includes('*')) needles.push(`"who":${JSON.stringify(filter.who)}`);
  if (needles.length === 0) return () => true;
  return (json) => needles.every((n) => json.includes(n));
}

type Cursor = { s: 't'; id: string } | { s: 'm'; id: string; t: string } | { s: 'r'; id: string };

const cursorSchema = z.union([
  z.object({ s: z.literal('t'), id: z.string().regex(/^\d+-\d+$/) }),
  z.object({ s: z.literal('m'), id: z.string().regex(/^\d+-\d+$/), t: z.string().max(63) }),
  z.object({ s: z.literal('r'), id: z.string().regex(/^\d+-\d+$/) }),
]);

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
  } catch {
    throw new AppError('AUDIT_CURSOR_INVALID');
  }
}

export interface AuditReadDeps {
  audit: AuditStore;
  tenants: TenantStore;
  users: UserStore;
}

interface Hit {
  entry: AuditEntry;
  cursor: Cursor;
}

const BATCH = 1000;
const rangeEnd = (to: number | undefined) => (to === undefined ? '+' : String(to));
const rangeStart = (from: number | undefined) => (from === undefined ? '-' : String(from));

/**
 * A tenant's entries newest first, read in growing batches: the first is as small as the page
 * asked for (the newest 100 cost one small read), later ones grow to BATCH.
 */
async function* tenantNewest(audit: AuditStore, tenant: string, end: string, start: string, first: number): AsyncGenerator<StoredEntry> {
  let upper = end;
  let count = Math.min(first, BATCH);
  for (;;) {
    const page = await audit.newest(tenant, upper, start, count);
    yield* page;
    if (page.length < count) return;
    upper = `(${page.at(-1)!.id}`;
    count = Math.min(count * 4, BATCH);
  }
}

async function* scanTenant(deps: AuditReadDeps, tenant: string, filter: AuditFilter, cursor: Cursor | undefined, first: number): AsyncGenerator<Hit> {
  const end = cursor ? `(${cursor.id}` : rangeEnd(filter.to);
  const worth = prefilter(filter);
  for await (const stored of tenantNewest(deps.audit, tenant, end, rangeStart(filter.from), first)) {
    if (worth(stored.json)) yield { entry: JSON.parse(stored.json) as AuditEntry, cursor: { s: 't', id: stored.id } };
  }
}

/** Every tenant's log merged newest first (ties by tenant id), resumable at a cursor. */
async function* scanAll(deps: AuditReadDeps, filter: AuditFilter, cursor: Cursor | undefined, first: number): AsyncGenerator<Hit> {
  const worth = prefilter(filter);
  const tenants = (await deps.tenants.list()).map((t) => t.id).sort();
  const after = cursor?.s === 'm' ? cursor : undefined;
  const sources = tenants.map((t) => {
    const end = after ? (t > after.t ? after.id : `(${after.id}`) : rangeEnd(filter.to);
    return { tenant: t, it: tenantNewest(deps.audit, t, end, rangeStart(filter.from), first), head: undefined as StoredEntry | undefined, done: false };
  });
  for (const s of sources) {
    const r = await s.it.next();
    s.done = Boolean(r.done);
    s.head = r.done ? undefined : r.value;
  }
  for (;;) {
    let best: (typeof sources)[number] | undefined;
    for (const s of sources) {
      if (s.done || !s.head) continue;
      if (!best || compareIds(s.head.id, best.head!.id) > 0) best = s;
    }
    if (!best) return;
    const stored = best.head!;
    if (worth(stored.json)) yield { entry: JSON.parse(stored.json) as AuditEntry, cursor: { s: 'm', id: stored.id, t: best.tenant } };
    const r = await best.it.next();
    best.done = Boolean(r.done);
    best.head = r.done ? undefined : r.value;
  }
}

/** One management user's entries in every tenant, from its index: no tenant is scanned. */
async function* scanActor(deps: AuditReadDeps, actorId: string, filter: AuditFilter, cursor: Cursor | undefined): AsyncGenerator<Hit> {
  let end = cursor ? `(${cursor.id}` : '+';
  for (;;) {
    const refs = await deps.audit.newestRefs(actorId, end, BATCH);
    const entries = await deps.audit.byIds(refs);
    const byKey = new Map(entries.map((e) => [`${e.tenant}/${e.id}`, e]));
    for (const ref of refs) {
      const stored = byKey.get(`${ref.tenant}/${ref.id}`);
      if (stored) yield { entry: JSON.parse(stored.json) as AuditEntry, cursor: { s: 'r', id: ref.refId } };
      // Index ids are write times: far enough before `from`, nothing older can match.
      if (filter.from !== undefined && Number(ref.refId.split('-')[0]) < filter.from - 60_000) return;
    }
    if (refs.length < BATCH) return;
    end = `(${refs.at(-1)!.refId}`;
  }
}

/** The support user or platform user a filter names, when it names one: its index answers. */
async function managementActorOf(deps: AuditReadDeps, filter: AuditFilter): Promise<string | undefined> {
  let name: string | undefined;
  const supportWho = filter.who && /^[^$*]+\$/.exec(filter.who);
  if (supportWho) name = supportWho[0].slice(0, -1);
  else if (filter.actor?.startsWith(`${MANAGEMENT_TENANT}/`)) name = filter.actor.slice(MANAGEMENT_TENANT.length + 1);
  if (!name) return undefined;
  const user = await deps.users.findByUsername(MANAGEMENT_TENANT, name).catch(() => null);
  return user?.id ?? (filter.who ? undefined : 'unknown-actor');
}

/**
 * Matching entries, newest first, each with the cursor that resumes after it. One tenant's log
 * when a tenant is given; a support or platform user's cross-tenant index when the filter names
 * one; otherwise every tenant merged. Pages stay stable while entries are appended: new entries
 * are newer than any cursor.
 */
export async function* queryEntries(deps: AuditReadDeps, filter: AuditFilter, cursorText?: string, pageSize = BATCH): AsyncGenerator<{ entry: AuditEntry; cursor: string }> {
  const first = pageSize + 1;
  const cursor = cursorText ? decodeCursor(cursorText) : undefined;
  const matches = matcher(filter);
  let source: AsyncGenerator<Hit>;
  if (filter.tenant) {
    if (cursor && cursor.s !== 't') throw new AppError('AUDIT_CURSOR_MISMATCH');
    source = scanTenant(deps, filter.tenant, filter, cursor, first);
  } else {
    const actorId = await managementActorOf(deps, filter);
    if (actorId) {
      if (cursor && cursor.s !== 'r') throw new AppError('AUDIT_CURSOR_MISMATCH');
      source = scanActor(deps, actorId, filter, cursor);
    } else {
      if (cursor && cursor.s !== 'm') throw new AppError('AUDIT_CURSOR_MISMATCH');
      source = scanAll(deps, filter, cursor, first);
    }
  }
  for await (const hit of source) {
    if (matches(hit.entry)) yield { entry: hit.entry, cursor: encodeCursor(hit.cursor) };
  }
}

/** One page of at most `limit` entries and the cursor of the next page (null at the end). */
export async function queryPage(deps: AuditReadDeps, filter: AuditFilter, limit: number, cursor?: string): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
  const entries: AuditEntry[] = [];
  let last: string | null = null;
  const it = queryEntries(deps, filter, cursor, limit);
  for await (const hit of it) {
    if (entries.length === limit) {
      await it.return(undefined);
      return { entries, nextCursor: last };
    }
    entries.push(hit.entry);
    last = hit.cursor;
  }
  return { entries, nextCursor: null };
}
