import type { AuditEntry } from './entry.js';

/** Where a tenant's chain ends: the last entry's position, hash and stream id. */
export interface ChainHead {
  seq: number;
  hash: string;
  lastId: string;
}

/** What retention left behind: the position and hash of the newest entry it removed. */
export interface ChainAnchor {
  seq: number;
  hash: string;
}

/** One entry as stored: its id, and the JSON that was written (parsed by whoever reads it). */
export interface StoredEntry {
  id: string;
  json: string;
}

/** A pointer from an actor's cross-tenant index to an entry. */
export interface EntryRef {
  tenant: string;
  id: string;
}

/**
 * Storage the audit log needs; the Redis implementation sits beside it. Ranges are by stream id,
 * bounds as `<ms>` or `<ms>-<n>`, a leading `(` making a bound exclusive.
 */
export interface AuditStore {
  head(tenant: string): Promise<ChainHead>;
  /**
   * Appends the entries (already chained onto `expected`) only if the tenant's head is still
   * `expected`; otherwise appends nothing and answers the current head.
   */
  appendIfHead(tenant: string, expected: ChainHead, entries: AuditEntry[], intents?: string[]): Promise<{ ok: true } | { ok: false; head: ChainHead }>;
  /** Writes ahead that an action is under way (its planned entry, as JSON); the append of its entry clears it. */
  intend(tenant: string, id: string, json: string): Promise<void>;
  /** Clears a write-ahead record without an entry (the action changed nothing). */
  abandon(tenant: string, id: string): Promise<void>;
  /** The write-ahead records of a tenant not cleared yet. */
  intents(tenant: string): Promise<{ id: string; json: string }[]>;
  /** True for exactly one caller per record: whoever resolves an interrupted action records it. */
  claimIntent(tenant: string, id: string): Promise<boolean>;
  /** Adds entries to an actor's cross-tenant index. */
  addRefs(actorId: string, refs: EntryRef[]): Promise<void>;
  /** Newest first, between `start` and `end` (inclusive unless prefixed with `(`). */
  newest(tenant: string, end: string, start: string, count: number): Promise<StoredEntry[]>;
  /** Oldest first, from `start`. */
  oldest(tenant: string, start: string, count: number): Promise<StoredEntry[]>;
  /** Newest refs of an actor first, ids below `end`; returns each ref with its own index id. */
  newestRefs(actorId: string, end: string, count: number): Promise<(EntryRef & { refId: string })[]>;
  byIds(refs: EntryRef[]): Promise<(StoredEntry & { tenant: string })[]>;
  anchor(tenant: string): Promise<ChainAnchor | null>;
  length(tenant: string): Promise<number>;
  /** Removes entries older than `minTimeMs`, moving the anchor to the newest removed one. */
  trimBefore(tenant: string, minTimeMs: number): Promise<number>;
}
