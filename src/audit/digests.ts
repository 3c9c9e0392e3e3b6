import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { canonicalJson, type AuditEntry } from './entry.js';
import type { AuditStore } from './store.js';

/**
 * What a digest signs (like a CloudTrail digest file): "the chain of `tenant` had, at `time`,
 * the entry `hash` at position `seq`". The entry's hash commits to every entry before it, so one
 * digest vouches for the whole history up to `seq`. Digests chain to each other too.
 */
export interface DigestBody {
  v: 1;
  alg: 'Ed25519';
  /** RFC 7638 thumbprint of the public key that verifies the signature. */
  keyId: string;
  tenant: string;
  /** The chain position signed: the tenant's head when the digest was made. */
  seq: number;
  /** The stream id of the entry at `seq`. */
  id: string;
  /** That entry's hash. */
  hash: string;
  /** When the digest was made (UTC). */
  time: string;
  /** The previous digest's position and digest hash (0 and null for a tenant's first). */
  prevSeq: number;
  prevDigest: string | null;
}

/** A digest as stored and logged: the body and its Ed25519 signature (base64url) over the body's canonical JSON. */
export interface SignedDigest extends DigestBody {
  signature: string;
}

/** What retention left of the digests: the position and digest hash of the newest one it removed. */
export interface DigestAnchor {
  seq: number;
  digest: string;
}

/** Storage of a tenant's digests; the Redis implementation sits beside it. */
export interface DigestStore {
  newest(tenant: string): Promise<SignedDigest | null>;
  /** Appends `digest` only if the tenant's newest digest is still the one it chains onto; else answers the newest. */
  appendIfNewest(tenant: string, digest: SignedDigest): Promise<{ ok: true } | { ok: false; newest: SignedDigest | null }>;
  /** Stored digests oldest first from stream id `start` (`(` makes it exclusive), as their JSON. */
  oldest(tenant: string, start: string, count: number): Promise<{ id: string; json: string }[]>;
  anchor(tenant: string): Promise<DigestAnchor | null>;
  /** Removes the digests of positions below `seq` (but never the newest), moving the anchor to the newest removed. */
  trimBelow(tenant: string, seq: number): Promise<number>;
}

/** The hash the next digest chains onto: SHA-256 of the signed body's canonical JSON. */
export function digestHash(digest: DigestBody): string {
  return createHash('sha256').update(canonicalJson(bodyOf(digest))).digest('hex');
}

function bodyOf(d: DigestBody): DigestBody {
  const { v, alg, keyId, tenant, seq, id, hash, time, prevSeq, prevDigest } = d;
  return { v, alg, keyId, tenant, seq, id, hash, time, prevSeq, prevDigest };
}

/** RFC 7638 thumbprint of an Ed25519 public key: how a digest names the key that signed it. */
export function keyIdOf(publicKey: KeyObject): string {
  const { crv, kty, x } = publicKey.export({ format: 'jwk' });
  return createHash('sha256').update(canonicalJson({ crv, kty, x })).digest('base64url');
}

/** Signs digest bodies with one Ed25519 private key (held outside Redis). */
export class DigestSigner {
  readonly keyId: string;
  constructor(private readonly privateKey: KeyObject, publicKey: KeyObject) {
    this.keyId = keyIdOf(publicKey);
  }

  sign(body: Omit<DigestBody, 'keyId' | 'v' | 'alg'>): SignedDigest {
    const full = bodyOf({ ...body, v: 1, alg: 'Ed25519', keyId: this.keyId });
    return { ...full, signature: sign(null, Buffer.from(canonicalJson(full)), this.privateKey).toString('base64url') };
  }
}

/** The public keys digests are checked with: the current one and those of rotated-out keys. */
export class DigestKeyring {
  private readonly keys = new Map<string, KeyObject>();
  constructor(publicKeys: KeyObject[]) {
    for (const k of publicKeys) this.keys.set(keyIdOf(k), k);
  }

  /** Why the signature is not one of ours, or null when it is. */
  problem(d: SignedDigest): string | null {
    const key = this.keys.get(d.keyId);
    if (!key) return `is signed by key ${d.keyId}, which is not a trusted digest key (AUDIT_DIGEST_PUBLIC_KEYS)`;
    const ok = typeof d.signature === 'string' && verify(null, Buffer.from(canonicalJson(bodyOf(d))), key, Buffer.from(d.signature, 'base64url'));
    return ok ? null : 'has a signature that does not verify: it was forged or altered';
  }
}

/** Every stored digest of a tenant, oldest first. */
export async function* storedDigests(store: DigestStore, tenant: string): AsyncGenerator<{ id: string; json: string }> {
  let start = '-';
  for (;;) {
    const page = await store.oldest(tenant, start, 1000);
    yield* page;
    if (page.length < 1000) return;
    start = `(${page.at(-1)!.id}`;
  }
}

export interface DigesterDeps {
  chain: Pick<AuditStore, 'head' | 'anchor' | 'byIds'>;
  digests: DigestStore;
  signer: DigestSigner;
  clock: Clock;
  logger?: Logger | undefined;
  /** Every tenant, for the timed round (it also covers entries other processes and the CLI recorded). */
  tenants: () => Promise<string[]>;
  everyEntries: number;
  everySeconds: number;
  /** Runs `fn` every `ms` and returns its canceller; setInterval by default, fired by hand in tests. */
  every?: (ms: number, fn: () => void) => () => void;
}

function parseEntry(json: string): AuditEntry | null {
  try {
    return JSON.parse(json) as AuditEntry;
  } catch {
    return null;
  }
}

const unrefInterval = (ms: number, fn: () => void) => {
  const timer = setInterval(fn, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/**
 * Signs each tenant's chain head: after every `everyEntries` entries this process recorded, and
 * every `everySeconds` for each tenant whose chain moved past its newest digest. Several
 * processes share one digest chain per tenant: a digest is stored only if it chains onto the
 * newest one (compare-and-set), so each position is signed once and positions only increase.
 */
export class AuditDigester {
  private readonly counts = new Map<string, number>();
  private readonly running = new Map<string, Promise<SignedDigest | null>>();
  private readonly again = new Set<string>();
  private cancel: (() => void) | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: DigesterDeps) {}

  /** The AuditLog listener: counts a durable entry towards its tenant's next digest. */
  observe(entry: AuditEntry): void {
    const n = (this.counts.get(entry.tenant) ?? 0) + 1;
    this.counts.set(entry.tenant, n >= this.deps.everyEntries ? 0 : n);
    if (n >= this.deps.everyEntries) void this.digest(entry.tenant);
  }

  start(): void {
    this.cancel ??= (this.deps.every ?? unrefInterval)(this.deps.everySeconds * 1000, () => void this.tick());
  }

  /** The timed round: a digest for every tenant whose chain moved since its newest digest. */
  tick(): Promise<void> {
    this.round ??= (async () => {
      try {
        for (const tenant of await this.deps.tenants()) {
          if (this.stopped) return;
          await this.digest(tenant);
        }
      } catch (err) {
        this.deps.logger?.warn(`audit digests skipped: ${(err as Error).message}`);
      } finally {
        this.round = undefined;
      }
    })();
    return this.round;
  }

  /** Signs the tenant's head unless its newest digest covers it; one at a time per tenant. */
  digest(tenant: string): Promise<SignedDigest | null> {
    const running = this.running.get(tenant);
    if (running) {
      this.again.add(tenant);
      return running;
    }
    const run = this.signHead(tenant)
      .catch((err: unknown) => {
        this.deps.logger?.warn(`audit digest of ${tenant} not written: ${(err as Error).message}`);
        return null;
      })
      .finally(() => {
        this.running.delete(tenant);
        if (this.again.delete(tenant)) void this.digest(tenant);
      });
    this.running.set(tenant, run);
    return run;
  }

  /** Resolves once no digest is being made. */
  async settled(): Promise<void> {
    while (this.running.size > 0 || this.round) await Promise.all([...this.running.values(), this.round]);
  }

  /** Digests of positions retention removed from the chain go too (the one at the anchor stays). */
  async trimCovered(tenants: string[]): Promise<void> {
    for (const tenant of tenants) {
      const anchor = await this.deps.chain.anchor(tenant);
      if (anchor) await this.deps.digests.trimBelow(tenant, anchor.seq);
    }
  }

  /** Stops the timer and signs what this process recorded since its last digests. */
  async stop(): Promise<void> {
    this.cancel?.();
    this.cancel = undefined;
    this.stopped = true;
    const dirty = [...this.counts].filter(([, n]) => n > 0).map(([t]) => t);
    await Promise.all(dirty.map((t) => this.digest(t)));
    await this.settled();
  }

  private async signHead(tenant: string): Promise<SignedDigest | null> {
    const { chain, digests, signer, clock, logger } = this.deps;
    for (let attempt = 0; attempt < 10; attempt++) {
      const newest = await digests.newest(tenant);
      const head = await chain.head(tenant);
      this.counts.set(tenant, 0);
      if (newest && (head.seq !== newest.seq || head.hash !== newest.hash)) await this.alarmIfRewritten(newest);
      if (head.seq === 0 || (newest && head.seq <= newest.seq)) return null;
      const digest = signer.sign({
        tenant, seq: head.seq, id: head.lastId, hash: head.hash, time: new Date(clock.now()).toISOString(),
        prevSeq: newest?.seq ?? 0, prevDigest: newest ? digestHash(newest) : null,
      });
      if ((await digests.appendIfNewest(tenant, digest)).ok) {
        logger?.info('audit digest', { audience: 'audit-digest', digest });
        return digest;
      }
      // Another process signed first: look at its digest and the head again.
    }
    return null;
  }

  /**
   * Before signing on, checks that the newest digest's position still holds what it signed. A
   * rewrite is logged as an error at once; signing goes on (the older digest stays the evidence,
   * and `audit verify` reports it), so entries recorded after it are covered too.
   */
  private async alarmIfRewritten(newest: SignedDigest): Promise<void> {
    const { chain, logger } = this.deps;
    const [stored] = await chain.byIds([{ tenant: newest.tenant, id: newest.id }]);
    let now: string | null = null;
    if (stored) {
      const entry = parseEntry(stored.json);
      now = !entry ? 'an entry that is not valid JSON' : entry.seq === newest.seq ? entry.hash : `an entry of position ${entry.seq}`;
    } else {
      const anchor = await chain.anchor(newest.tenant);
      if (anchor && anchor.seq > newest.seq) return; // trimmed by retention
      now = anchor?.seq === newest.seq ? anchor.hash : 'no entry there';
    }
    if (now === newest.hash) return;
    logger?.error(`audit history of ${newest.tenant} was rewritten at or before position ${newest.seq}: the digest of ${newest.time} signed hash ${newest.hash}, the chain now has ${now}`, {
      audience: 'audit-digest',
      tenant: newest.tenant,
      rewrittenAtOrBefore: newest.seq,
    });
  }
}
