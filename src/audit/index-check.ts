import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import type { AuditEntry } from './entry.js';
import type { AuditStore } from './store.js';

/** Entries of a tenant that a support user's cross-tenant index does not point at. */
export interface IndexGap {
  tenant: string;
  actorId: string;
  actor: string | null;
  entryId: string;
}

const PAGE = 1000;

/**
 * Checks that every entry of `tenant` made by a management user (a support user, a platform admin)
 * is in that user's cross-tenant index, the one `audit query --who 'jill$*'` reads without a
 * tenant. Refs are written before their entry joins the chain, so a gap means the index was
 * damaged or written by an older version; a ref pointing at nothing is fine (its append lost).
 */
export async function checkActorIndex(store: AuditStore, tenant: string): Promise<IndexGap[]> {
  const wanted = new Map<string, { actor: string | null; ids: Set<string> }>();
  let start = '-';
  for (;;) {
    const page = await store.oldest(tenant, start, PAGE);
    for (const stored of page) {
      const e = JSON.parse(stored.json) as AuditEntry;
      if (e.actor?.type !== 'user' || e.actor.tenant !== MANAGEMENT_TENANT || !e.actor.id) continue;
      const entry = wanted.get(e.actor.id) ?? { actor: e.actor.name, ids: new Set<string>() };
      entry.ids.add(stored.id);
      wanted.set(e.actor.id, entry);
    }
    if (page.length < PAGE) break;
    start = `(${page.at(-1)!.id}`;
  }
  const gaps: IndexGap[] = [];
  for (const [actorId, { actor, ids }] of wanted) {
    let end = '+';
    for (;;) {
      const refs = await store.newestRefs(actorId, end, PAGE);
      for (const r of refs) if (r.tenant === tenant) ids.delete(r.id);
      if (refs.length < PAGE || ids.size === 0) break;
      end = `(${refs.at(-1)!.refId}`;
    }
    for (const entryId of ids) gaps.push({ tenant, actorId, actor, entryId });
  }
  return gaps;
}
