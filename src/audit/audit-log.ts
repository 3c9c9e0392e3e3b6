import { hostname } from 'node:os';
import { isUnconfirmed } from '../redis/replica-acks.js';
import type { Clock } from '../clock.js';
import { AppError, isAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import { parseInput } from '../validation.js';
import { auditInputSchema, hashEntry, type AuditEntry, type AuditInput, type ValidAuditInput } from './entry.js';
import type { AuditStore, ChainHead } from './store.js';

/** A write-ahead record: the entry an action under way will have, and which process runs it. */
export interface Intent {
  at: number;
  /** The process running the action: its machine, pid and start (epoch ms), told apart from a later one with the same pid. */
  owner: { host: string; pid: number; since: number };
  ctx: AuditContextLike;
  what: { tenant: string; action: AuditInput['action']; subject?: AuditInput['subject']; details?: AuditInput['details'] };
}

type AuditContextLike = Pick<AuditInput, 'who' | 'actor' | 'channel' | 'clientAddress' | 'userAgent' | 'clientId' | 'requestId'>;

/** What the audit log reports of its appends (a gateway's metrics; nothing in the CLI). */
export interface AuditLogObserver {
  /** One entry is in its chain, `seconds` after it was recorded. */
  auditAppended(seconds: number): void;
  /** Entries that could not be written (`invalid`: refused before reaching the store). */
  auditFailed(entries: number, reason: 'store' | 'invalid'): void;
}

interface Pending {
  input: ValidAuditInput;
  timeMs: number;
  /** performance.now() when recorded (the append latency; the clock above may be a test's). */
  recordedAt: number;
  intent: string | undefined;
  resolve: (entry: AuditEntry) => void;
  reject: (err: unknown) => void;
}

interface TenantQueue {
  pending: Pending[];
  flushing: boolean;
  /** The head after this process's last append; stale when another process appended since. */
  head: ChainHead | undefined;
}

const MAX_BATCH = 500;
const MAX_ATTEMPTS = 50;

/**
 * Appends audit entries to per-tenant hash chains. Entries recorded while a batch is on its way
 * are chained onto it and sent as the next batch (one script call each), so one process appends
 * thousands a second. Several processes append to one tenant safely: a batch is written only if
 * the tenant's head is still the one it was chained onto, else it is re-chained onto the new
 * head and sent again. `record` resolves only when the entry is in Redis; if it cannot be written
 * it rejects, and the caller's action must fail.
 */
export class AuditLog {
  private readonly queues = new Map<string, TenantQueue>();
  private readonly listeners = new Set<(entry: AuditEntry) => void>();

  constructor(
    private readonly store: AuditStore,
    private readonly clock: Clock,
    private readonly logger: Logger | undefined,
    private readonly observer?: AuditLogObserver | undefined,
  ) {}

  /**
   * Appends an entry; resolves once it is in its tenant's chain. `intent` names the write-ahead
   * record (`intend`) this entry completes: it is cleared in the same step as the append.
   */
  record(input: AuditInput, options: { intent?: string } = {}): Promise<AuditEntry> {
    let valid: ValidAuditInput;
    try {
      valid = parseInput(auditInputSchema, input, 'audit entry');
    } catch (err) {
      this.observer?.auditFailed(1, 'invalid');
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(valid.tenant);
      if (!queue) {
        queue = { pending: [], flushing: false, head: undefined };
        this.queues.set(valid.tenant, queue);
      }
      queue.pending.push({ input: valid, timeMs: this.clock.now(), recordedAt: this.observer ? performance.now() : 0, resolve, reject, intent: options.intent });
      if (!queue.flushing) void this.flush(valid.tenant, queue);
    });
  }

  private async flush(tenant: string, queue: TenantQueue): Promise<void> {
    queue.flushing = true;
    try {
      while (queue.pending.length > 0) {
        const batch = queue.pending.splice(0, MAX_BATCH);
        try {
          const entries = await this.append(tenant, queue, batch);
          // Winston formats a line before its transport drops it by level: ask first (SIEM runs at info).
          if (this.logger?.isInfoEnabled()) for (const entry of entries) this.logger.info('audit', { audience: 'audit', entry });
          batch.forEach((p, i) => p.resolve(entries[i]!));
          if (this.observer) {
            const now = performance.now();
            for (const p of batch) this.observer.auditAppended((now - p.recordedAt) / 1000);
          }
          this.notify(entries);
        } catch (err) {
          queue.head = undefined;
          // Redis' own words (WRONGTYPE, OOM, connection refused) tell an operator what broke.
          const reason = isAppError(err) ? err.message : String((err as Error).message ?? err).split('\n')[0]!.slice(0, 200);
          // Appended but not confirmed by a replica (REDIS_REPLICA_ACKS): the entries are in the
          // chain, so callers must not take the action back (audited.ts); they answer 503.
          const failure = isUnconfirmed(err) ? (err as AppError) : new AppError('AUDIT_UNAVAILABLE', undefined, { cause: err, params: { reason } });
          this.observer?.auditFailed(batch.length, 'store');
          for (const p of batch) p.reject(failure);
        }
      }
    } finally {
      queue.flushing = false;
    }
  }

  private async append(tenant: string, queue: TenantQueue, batch: Pending[]): Promise<AuditEntry[]> {
    let head = queue.head ?? (await this.store.head(tenant));
    const intents = batch.flatMap((p) => (p.intent ? [p.intent] : []));
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entries = chain(head, batch);
      // The cross-tenant index is written first, for the ids this attempt will append: an entry
      // is never in its chain without its ref (the index lives in another slot, so the two cannot
      // be one step). A ref whose append then lost the race or never happened points at nothing,
      // and readers skip it.
      await this.index(entries);
      const result = await this.store.appendIfHead(tenant, head, entries, intents);
      if (result.ok) {
        const last = entries.at(-1)!;
        queue.head = { seq: last.seq, hash: last.hash, lastId: last.id };
        return entries;
      }
      // Another process appended first: chain onto its head and try again.
      head = result.head;
      if (attempt > 3) await new Promise((r) => setTimeout(r, Math.random() * 5));
    }
    throw new Error(`could not append after ${MAX_ATTEMPTS} concurrent attempts`);
  }

  /** Audited actions under way in this process (between their write-ahead record and their entry). */
  private running = 0;
  private readonly idleWaiters: (() => void)[] = [];

  /** Marks an audited action as under way until the returned function is called. */
  actionStarted(): () => void {
    this.running++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.running--;
      if (this.running === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    };
  }

  /** Resolves when no audited action is under way (a CLI stopped by a signal waits for this). */
  whenIdle(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Writes ahead that an audited action is under way in `tenant` (see audited.ts). */
  intend(tenant: string, id: string, record: Omit<Intent, 'at' | 'owner'>): Promise<void> {
    const intent: Intent = { ...record, at: this.clock.now(), owner: { host: hostname(), pid: process.pid, since: performance.timeOrigin } };
    // An action refused because its write-ahead record cannot be written is an audit failure too (the alert's).
    return this.store.intend(tenant, id, JSON.stringify(intent)).catch((err: unknown) => {
      this.observer?.auditFailed(1, 'store');
      throw err;
    });
  }

  /** Clears a write-ahead record whose action changed nothing. */
  abandon(tenant: string, id: string): Promise<void> {
    return this.store.abandon(tenant, id);
  }

  /** The store, for resolving interrupted actions (interrupted.ts). */
  get intentsOf(): Pick<AuditStore, 'intents' | 'claimIntent'> {
    return this.store;
  }

  /**
   * Calls `listener` with every entry this process records, once it is durable (in its chain).
   * For in-process observers (webhooks, metrics): a listener that throws is logged and skipped,
   * never fails the action. Returns the unsubscribe function.
   */
  subscribe(listener: (entry: AuditEntry) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private notify(entries: AuditEntry[]): void {
    for (const listener of this.listeners) {
      for (const entry of entries) {
        try {
          listener(entry);
        } catch (err) {
          this.logger?.error(`audit listener failed: ${(err as Error).message}`);
        }
      }
    }
  }

  /** Entries of management users (support users, platform admins) are findable across tenants. */
  private async index(entries: AuditEntry[]): Promise<void> {
    const byActor = new Map<string, { tenant: string; id: string }[]>();
    for (const e of entries) {
      if (e.actor?.type !== 'user' || e.actor.tenant !== MANAGEMENT_TENANT || !e.actor.id) continue;
      const refs = byActor.get(e.actor.id) ?? [];
      refs.push({ tenant: e.tenant, id: e.id });
      byActor.set(e.actor.id, refs);
    }
    await Promise.all([...byActor].map(([actorId, refs]) => this.store.addRefs(actorId, refs)));
  }
}

/** Chains a batch onto a head: ids increase (`<ms>-<n>`), positions continue, each hash commits to the previous. */
function chain(head: ChainHead, batch: Pending[]): AuditEntry[] {
  let [lastMs, lastN] = head.lastId.split('-').map(Number) as [number, number];
  let prev = head.hash;
  let seq = head.seq;
  return batch.map(({ input, timeMs }) => {
    const ms = Math.max(timeMs, lastMs);
    const n = ms === lastMs ? lastN + 1 : 0;
    lastMs = ms;
    lastN = n;
    seq += 1;
    const unsigned = { ...input, id: `${ms}-${n}`, seq, prev, time: new Date(ms).toISOString() };
    const entry: AuditEntry = { ...unsigned, hash: hashEntry(unsigned) };
    prev = entry.hash;
    return entry;
  });
}
