import { digestHash, storedDigests, type DigestKeyring, type DigestStore, type SignedDigest } from './digests.js';
import type { AuditEntry } from './entry.js';
import type { ChainAnchor, ChainHead } from './store.js';

/** Where a tenant's digests are and the public keys that check their signatures. */
export interface DigestSource {
  store: DigestStore;
  keyring: DigestKeyring;
}

/** What the signed digests say about a tenant's chain. */
export interface DigestCheck {
  /** Stored digests read; the signature and order of each was checked. */
  digests: number;
  /** Digests compared with the entry (or retention anchor) at their position, and equal to it. */
  matched: number;
  /** Digests of positions retention has removed: only their signature and order can be checked. */
  beforeRetention: number;
  newest: { seq: number; time: string } | null;
  /** Entries after the newest digest's position: no signature vouches for them yet. */
  uncovered: number;
  /** Everything found wrong, in position order: a rewritten history, a forged, deleted or reordered digest. */
  problems: DigestProblem[];
}

export interface DigestProblem {
  /** The chain position the problem is about. */
  seq: number;
  reason: string;
}

/** A tenant's digests as read, with what could be checked without the chain. */
export interface DigestReading {
  /** Digests whose signature verified, oldest first. */
  trusted: SignedDigest[];
  read: number;
  problems: DigestProblem[];
}

const about = (d: SignedDigest) => `the digest for position ${d.seq} (${d.time})`;

/**
 * Reads every digest of a tenant and checks their signatures and their own chain: each names the
 * digest before it (or the digest retention anchor), so a deleted, inserted or reordered digest
 * shows where it was. Read before the chain's head, so no digest can be newer than the head.
 */
export async function readDigests(source: DigestSource, tenant: string): Promise<DigestReading> {
  const anchor = await source.store.anchor(tenant);
  let prev: { seq: number; digest: string } | null = anchor;
  const reading: DigestReading = { trusted: [], read: 0, problems: [] };
  const problem = (seq: number, reason: string) => reading.problems.push({ seq, reason });
  for await (const { id, json } of storedDigests(source.store, tenant)) {
    reading.read++;
    let d: SignedDigest;
    try {
      d = JSON.parse(json) as SignedDigest;
    } catch {
      problem(prev?.seq ?? 0, `the stored digest ${id} is not valid JSON`);
      continue;
    }
    const signature = source.keyring.problem(d);
    if (signature) problem(d.seq, `${about(d)} ${signature}`);
    else if (d.tenant !== tenant) problem(d.seq, `${about(d)} belongs to tenant ${d.tenant}`);
    if (d.prevDigest !== (prev?.digest ?? null) || d.prevSeq !== (prev?.seq ?? 0)) {
      problem(
        d.seq,
        prev === null
          ? `digests were deleted: ${about(d)} follows the digest for position ${d.prevSeq}, and none is stored before it`
          : d.prevSeq > prev.seq
            ? `digests were deleted: ${about(d)} follows the digest for position ${d.prevSeq}, but the one stored before it is for position ${prev.seq}`
            : `${about(d)} does not follow the digest stored before it (position ${prev.seq}): a digest was replaced or reordered`,
      );
    } else if (prev && d.seq <= prev.seq) {
      problem(d.seq, `${about(d)} is out of order: it follows the digest for position ${prev.seq}`);
    }
    if (!signature && d.tenant === tenant) reading.trusted.push(d);
    prev = { seq: d.seq, digest: digestHash(d) };
  }
  return reading;
}

/**
 * Compares trusted digests with the chain while it is walked: the entry at each digest's position
 * must have exactly the hash it signed. A history rewritten with every later hash recomputed
 * passes the chain check but not this one (the forger cannot sign).
 */
export class DigestComparison {
  private readonly expected = new Map<number, SignedDigest>();
  private readonly problems: DigestProblem[];
  private readonly idAt = new Map<number, string>();
  private matched = 0;
  private beforeRetention = 0;
  private lastMatched = 0;

  constructor(
    private readonly reading: DigestReading,
    private readonly anchor: ChainAnchor | null,
    private readonly head: ChainHead,
  ) {
    this.problems = [...reading.problems];
    for (const d of reading.trusted) {
      if (anchor && d.seq < anchor.seq) this.beforeRetention++;
      else if (anchor && d.seq === anchor.seq) this.check(d, anchor.hash, 'the retention anchor has');
      else if (d.seq > head.seq) {
        this.problems.push({ seq: d.seq, reason: `history rewritten: the digest of ${d.time} signed position ${d.seq}, but the chain now ends at position ${head.seq}` });
      } else this.expected.set(d.seq, d);
    }
    for (const p of reading.problems) this.idAt.set(p.seq, '');
  }

  /** Called with every entry the chain walk found sound, in order. */
  compare(entry: AuditEntry): void {
    if (this.idAt.has(entry.seq)) this.idAt.set(entry.seq, entry.id);
    const d = this.expected.get(entry.seq);
    if (!d) return;
    this.idAt.set(entry.seq, entry.id);
    this.check(d, entry.hash, 'the chain now has');
  }

  /** The check's summary, and where the first problem is as a chain position and stream id. */
  result(): { check: DigestCheck; first: { seq: number; id: string | null; reason: string } | null } {
    const newest = this.reading.trusted.at(-1);
    const covered = Math.max(newest?.seq ?? 0, this.anchor?.seq ?? 0);
    const problems = [...this.problems].sort((a, b) => a.seq - b.seq);
    const check: DigestCheck = {
      digests: this.reading.read,
      matched: this.matched,
      beforeRetention: this.beforeRetention,
      newest: newest ? { seq: newest.seq, time: newest.time } : null,
      uncovered: Math.max(0, this.head.seq - covered),
      problems,
    };
    const p = problems[0];
    return { check, first: p ? { seq: p.seq, id: this.idAt.get(p.seq) || null, reason: p.reason } : null };
  }

  private check(d: SignedDigest, found: string, where: string): void {
    if (found === d.hash) {
      this.matched++;
      this.lastMatched = d.seq;
      return;
    }
    const since = this.lastMatched > 0 ? ` (after position ${this.lastMatched}, whose digest still matches)` : '';
    this.problems.push({ seq: d.seq, reason: `history rewritten at or before position ${d.seq}${since}: the digest of ${d.time} signed hash ${d.hash}, ${where} ${found}` });
  }
}
