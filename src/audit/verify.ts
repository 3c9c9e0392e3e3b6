import { GENESIS_HASH, hashEntry, type AuditEntry } from './entry.js';
import type { AuditStore, ChainAnchor, ChainHead, StoredEntry } from './store.js';
import { DigestComparison, readDigests, type DigestCheck, type DigestSource } from './verify-digests.js';

export type { DigestCheck, DigestSource } from './verify-digests.js';
import type { IndexGap } from './index-check.js';

export type VerifyResult = (
  | { ok: true; tenant: string; entries: number; firstSeq: number | null; lastSeq: number | null }
  | {
      ok: false;
      tenant: string;
      /** 1-based position among the entries read (what an auditor counts from the oldest kept). */
      position: number;
      /** The stream id at that position, when there is an entry there. */
      id: string | null;
      reason: string;
      entries: number;
    }
) & {
  /** The signed digests' verdict, when they were checked. */
  digests?: DigestCheck;
  /** Entries of management users missing from their cross-tenant index (index-check.ts), when checked. */
  indexGaps?: IndexGap[];
  /** Write-ahead records of actions not completed yet (under way, or interrupted and not resolved). */
  pendingActions?: number;
};

/**
 * Walks a tenant's entries oldest first and checks the chain: each entry's hash matches its
 * content, commits to the previous entry's hash, and continues its position; the first entry
 * continues the retention anchor (or the genesis), the last one matches the stored head.
 * Any edited, deleted, inserted or reordered entry breaks one of these at its position.
 */
export async function verifyChain(
  tenant: string,
  entries: AsyncIterable<StoredEntry>,
  anchor: ChainAnchor | null,
  head: ChainHead,
  onProgress?: (checked: number) => void,
  onEntry?: (entry: AuditEntry) => void,
): Promise<VerifyResult> {
  let prevHash = anchor?.hash ?? GENESIS_HASH;
  let prevSeq = anchor?.seq ?? 0;
  let prevId = '0-0';
  let position = 0;
  let firstSeq: number | null = null;
  const fail = (reason: string, id: string | null): VerifyResult => ({ ok: false, tenant, position, id, reason, entries: position });

  for await (const stored of entries) {
    position++;
    let entry: AuditEntry;
    try {
      entry = JSON.parse(stored.json) as AuditEntry;
    } catch {
      return fail('the entry is not valid JSON', stored.id);
    }
    if (hashEntry(entry) !== entry.hash) return fail('the entry was changed: its hash does not match its content', stored.id);
    if (entry.id !== stored.id) return fail(`the entry was moved: it says id ${entry.id} but is stored at ${stored.id}`, stored.id);
    if (entry.tenant !== tenant) return fail(`the entry belongs to tenant ${entry.tenant}`, stored.id);
    if (entry.prev !== prevHash || entry.seq !== prevSeq + 1) {
      const what =
        entry.seq <= prevSeq
          ? `an entry was inserted or reordered: position ${entry.seq} follows ${prevSeq}`
          : entry.seq > prevSeq + 1
            ? `${entry.seq - prevSeq - 1} entr${entry.seq - prevSeq - 1 === 1 ? 'y is' : 'ies are'} missing before it (chain position ${prevSeq + 1})`
            : 'it does not continue the previous entry (an entry before it was replaced)';
      return fail(what, stored.id);
    }
    if (compareIds(stored.id, prevId) <= 0) return fail('ids are out of order', stored.id);
    firstSeq ??= entry.seq;
    onEntry?.(entry);
    prevHash = entry.hash;
    prevSeq = entry.seq;
    prevId = stored.id;
    if (onProgress && position % 10000 === 0) onProgress(position);
  }
  if (prevSeq !== head.seq || prevHash !== head.hash) {
    position++;
    return fail(
      head.seq > prevSeq
        ? `${head.seq - prevSeq} newest entr${head.seq - prevSeq === 1 ? 'y is' : 'ies are'} missing (the log ends at position ${prevSeq}, its head says ${head.seq})`
        : 'the log does not end where its head says',
      null,
    );
  }
  return { ok: true, tenant, entries: position, firstSeq, lastSeq: position === 0 ? null : prevSeq };
}

/** Orders stream ids `<ms>-<n>` numerically. */
export function compareIds(a: string, b: string): number {
  const [am, an] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bn] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? (an === bn ? 0 : an < bn ? -1 : 1) : am < bm ? -1 : 1;
}

/**
 * Verifies one tenant's stored log, oldest first, up to the head read at the start (entries
 * appended while it runs are left for the next run). With `digests`, the entry at each signed
 * digest's position must also have the hash the digest signed, and the digests' signatures and
 * their own chain must hold: that catches a history rewritten with every hash recomputed.
 */
export async function verifyTenantLog(store: AuditStore, tenant: string, onProgress?: (checked: number) => void, digests?: DigestSource): Promise<VerifyResult> {
  // Digests first: none of them can then be newer than the head read next.
  const reading = digests ? await readDigests(digests, tenant) : undefined;
  const head = await store.head(tenant);
  const anchor = await store.anchor(tenant);
  async function* entries(): AsyncGenerator<StoredEntry> {
    let start = '-';
    for (;;) {
      const page = await store.oldest(tenant, start, 1000);
      for (const e of page) {
        if (head.seq !== 0 && compareIds(e.id, head.lastId) > 0) return;
        yield e;
      }
      if (page.length < 1000) return;
      start = `(${page.at(-1)!.id}`;
    }
  }
  if (!reading) return verifyChain(tenant, entries(), anchor, head, onProgress);

  const comparison = new DigestComparison(reading, anchor, head);
  const chain = await verifyChain(tenant, entries(), anchor, head, onProgress, (e) => comparison.compare(e));
  const { check, first } = comparison.result();
  // A broken chain is named where it breaks; an intact one that contradicts a digest, at the digest.
  if (!chain.ok || !first) return { ...chain, digests: check };
  const position = Math.min(Math.max(1, first.seq - (anchor?.seq ?? 0)), chain.entries + 1);
  return { ok: false, tenant, position, id: first.id, reason: first.reason, entries: chain.entries, digests: check };
}
