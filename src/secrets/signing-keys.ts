/**
 * Signing keys that rotate without logging anybody out, shared by every gateway through Redis.
 *
 * A keyring belongs to a scope: the platform (every issuer whose tenant uses the platform keys,
 * and the keys of SIGNING_KEYS_FILE) or one tenant (its own keys, the default for new tenants:
 * a token of tenant A never verifies against tenant B's JWKS). Each key has a life in three
 * stages, fixed by times so that every process agrees without talking:
 *   published, not signing yet (until `signsFrom`): relying parties' JWKS caches pick it up;
 *   signing (from `signsFrom` until `signsUntil`, when a newer key takes over);
 *   published, no longer signing (until `publishedUntil`): tokens it signed still verify.
 * Private keys are stored sealed with the secrets key (CLIENT_SECRETS_KEY); a key of
 * SIGNING_KEYS_FILE is stored by its kid only, and its material stays in the file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { RedisClient } from '../redis/client.js';
import { globalKey, tenantKey } from '../redis/keys.js';
import { awaitReplicas, type ReplicaAcks } from '../redis/replica-acks.js';
import { compareAndSet, updateJson } from '../redis/script.js';
import type { Tenant } from '../tenants/tenants.js';

export const SIGNING_ALGS = ['RS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/**
 * The longest a JWT the gateway signs lives: ID tokens (src/oidc/provider.ts DEFAULT_TTL.IdToken;
 * X-Auth-Tokens live at most 300 s). A replaced key stays published at least this long.
 */
export const LONGEST_SIGNED_TOKEN_SECONDS = 3600;
/**
 * How long a new key is published before it signs, by default: jose's remote JWKS (openid-client)
 * caches for 10 minutes; relying parties that cache longer re-fetch on an unknown kid.
 */
export const DEFAULT_PUBLISH_AHEAD_SECONDS = 600;
/**
 * How long a replaced key stays published after it stopped signing, by default: a login session's
 * lifetime (14 days), so a logout still verifies the ID token it got at login as its hint. After
 * a leak, rotate with --keep at the minimum, LONGEST_SIGNED_TOKEN_SECONDS.
 */
export const DEFAULT_KEEP_SECONDS = 14 * 86_400;
/**
 * A process that missed a rotation's event signs with the old key until it re-reads the ring
 * (RECHECK_MS) — plus clocks that disagree a little: the old key stays published that much longer.
 */
export const LATE_SIGNING_MARGIN_MS = 60_000;

/** The platform's keyring, or one tenant's. */
export type KeyScope = { kind: 'platform' } | { kind: 'tenant'; tenant: string };

const ringKeySchema = z.object({
  kid: z.string().min(1),
  alg: z.enum(SIGNING_ALGS),
  sealed: z.string().optional(),
  createdAt: z.number(),
  signsFrom: z.number(),
  signsUntil: z.number().nullable(),
  publishedUntil: z.number().nullable(),
});
export type RingKey = z.infer<typeof ringKeySchema>;
const ringSchema = z.object({ keys: z.array(ringKeySchema) });
export type Keyring = z.infer<typeof ringSchema>;

/** A key's stage at a moment. */
export type KeyStage = 'next' | 'signing' | 'retiring';

/** What an issuer signs and publishes with at a moment, and until when that holds. */
export interface IssuerKeys {
  /** Private JWKS for oidc-provider: keys that do not sign (yet, or any more) are marked verify-only. */
  jwks: { keys: JWK[] };
  /** The signing key of each algorithm. */
  signing: Partial<Record<SigningAlg, JWK>>;
  /** Changes whenever what is published or signs changes (the provider pool rebuilds an issuer on it). */
  version: string;
  /** When a key's stage changes next (epoch ms), or null. */
  nextChange: number | null;
  stages: { kid: string; alg: SigningAlg; stage: KeyStage; signsFrom: number; signsUntil: number | null; publishedUntil: number | null; fromFile: boolean }[];
}

export function scopeOf(tenant: Pick<Tenant, 'id' | 'signingKeys'>): KeyScope {
  return tenant.signingKeys === 'own' ? { kind: 'tenant', tenant: tenant.id } : { kind: 'platform' };
}

export function scopeName(scope: KeyScope): string {
  return scope.kind === 'platform' ? 'platform' : `tenant ${scope.tenant}`;
}

function ringRedisKey(prefix: string, scope: KeyScope): string {
  return scope.kind === 'platform' ? globalKey(prefix, 'keys', 'signing') : tenantKey(prefix, scope.tenant, 'keys', 'signing');
}

function parseRing(raw: string): Keyring {
  const parsed = ringSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new AppError('INTERNAL', undefined, { cause: new Error('a stored signing keyring does not have the expected shape') });
  return parsed.data;
}

/**
 * A key of SIGNING_KEYS_FILE as the keyring names it: its alg (RS256 for RSA, ES256 for P-256 when
 * the file gives none) and its kid (when the file gives none, one derived from the public key, so
 * every process names it alike). Keys of other types are not managed here (see issuerKeysAt).
 */
export function fileKeyIdentity(k: JWK): { kid: string; alg: SigningAlg } | null {
  // An encryption key is none of the keyring's business (it is passed on as the file has it).
  if (k.use === 'enc') return null;
  const alg = (k.alg ?? (k.kty === 'RSA' ? 'RS256' : k.kty === 'EC' && k.crv === 'P-256' ? 'ES256' : undefined)) as SigningAlg | undefined;
  if (!alg || !SIGNING_ALGS.includes(alg)) return null;
  const kid = k.kid ?? createHash('sha256').update(JSON.stringify([k.kty, k.crv, k.n, k.e, k.x, k.y])).digest('base64url').slice(0, 16);
  return { kid, alg };
}

/**
 * The file's keys that the ring does not mention: they sign from the beginning, until a rotation
 * retires them (a key the file marks verify-only, `key_ops` without "sign", never signs). Once a
 * rotation retired one, the ring keeps its entry for good, so it is never taken up again.
 */
function withFileKeys(ring: Keyring, fileKeys: readonly JWK[]): RingKey[] {
  const known = new Set(ring.keys.map((k) => k.kid));
  const fromFile: RingKey[] = [];
  for (const k of fileKeys) {
    const id = fileKeyIdentity(k);
    const signs = !Array.isArray(k.key_ops) || k.key_ops.includes('sign');
    if (id && !known.has(id.kid)) fromFile.push({ ...id, createdAt: 0, signsFrom: 0, signsUntil: signs ? null : 0, publishedUntil: null });
  }
  return [...fromFile, ...ring.keys];
}

function stageAt(key: RingKey, now: number, signer: RingKey | undefined): KeyStage | null {
  if (key.publishedUntil !== null && now >= key.publishedUntil) return null;
  if (key === signer) return 'signing';
  return now < key.signsFrom ? 'next' : 'retiring';
}

/** The signing key of `alg` at `now`: of the keys whose signing time has come and not passed, the newest. */
function signerAt(keys: readonly RingKey[], alg: SigningAlg, now: number): RingKey | undefined {
  let best: RingKey | undefined;
  for (const k of keys) {
    if (k.alg !== alg || now < k.signsFrom || (k.signsUntil !== null && now >= k.signsUntil)) continue;
    if (k.publishedUntil !== null && now >= k.publishedUntil) continue;
    if (!best || k.signsFrom > best.signsFrom || (k.signsFrom === best.signsFrom && k.createdAt > best.createdAt)) best = k;
  }
  return best;
}

/**
 * What is published and signs at `now` (pure: every process computes the same from the same ring).
 * `material` gives a key's private JWK (opened from the ring or found in the file); a key whose
 * material is gone (removed from the file) is left out.
 */
export function issuerKeysAt(ring: Keyring, fileKeys: readonly JWK[], now: number, material: (key: RingKey) => JWK | null): IssuerKeys {
  const keys = withFileKeys(ring, fileKeys);
  const signers = new Map(SIGNING_ALGS.map((alg) => [alg, signerAt(keys, alg, now)]));
  const jwks: JWK[] = [];
  const signing: Partial<Record<SigningAlg, JWK>> = {};
  const stages: IssuerKeys['stages'] = [];
  let nextChange: number | null = null;
  const consider = (t: number | null) => {
    if (t !== null && t > now && (nextChange === null || t < nextChange)) nextChange = t;
  };
  for (const key of keys) {
    consider(key.signsFrom);
    consider(key.signsUntil);
    consider(key.publishedUntil);
    const stage = stageAt(key, now, signers.get(key.alg));
    if (stage === null) continue;
    const jwk = material(key);
    if (jwk === null) continue;
    const { key_ops: _ops, ...plain } = jwk;
    const published: JWK = stage === 'signing' ? { ...plain, kid: key.kid, alg: key.alg, use: 'sig' } : { ...plain, kid: key.kid, alg: key.alg, use: 'sig', key_ops: ['verify'] };
    jwks.push(published);
    if (stage === 'signing') signing[key.alg] = published;
    stages.push({ kid: key.kid, alg: key.alg, stage, signsFrom: key.signsFrom, signsUntil: key.signsUntil, publishedUntil: key.publishedUntil, fromFile: key.sealed === undefined });
  }
  // File keys of other types (e.g. EdDSA) are published and used as configured; rotation does not manage them.
  for (const k of fileKeys) if (fileKeyIdentity(k) === null) jwks.push(k);
  // The signing keys first: a verifier that tries keys in order finds them soonest.
  jwks.sort((a, b) => Number(b.key_ops === undefined) - Number(a.key_ops === undefined));
  const version = stages.map((s) => `${s.kid}:${s.stage}`).join(',');
  return { jwks: { keys: jwks }, signing, version, nextChange, stages };
}

/** A fresh private key of `alg` as a JWK, with a random kid. */
export async function generateSigningKey(alg: SigningAlg): Promise<JWK & { kid: string; alg: SigningAlg }> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: randomBytes(9).toString('base64url') };
}

/**
 * Adds a new key per algorithm that signs from `signsFrom` and retires the keys signing until
 * then: they stop signing at `signsFrom` and stay published `keepMs` longer. Keys no longer
 * published are dropped from the ring.
 */
export function rotateRing(ring: Keyring, fileKeys: readonly JWK[], fresh: RingKey[], now: number, keepMs: number): Keyring {
  const signsFrom = Math.min(...fresh.map((k) => k.signsFrom));
  const keys = withFileKeys(ring, fileKeys).map((k) => {
    const stillSigning = k.signsUntil === null || k.signsUntil > signsFrom;
    if (!stillSigning) return k;
    // A key that was only going to sign from later than the new key never signs; it is dropped
    // with the others once the new key signs.
    const until = Math.max(k.signsFrom, signsFrom);
    return { ...k, signsUntil: until, publishedUntil: Math.max(until, signsFrom) + keepMs + LATE_SIGNING_MARGIN_MS };
  });
  // Keys no longer published leave the ring, except a file key's entry: it is what keeps that key retired.
  return { keys: [...keys.filter((k) => k.sealed === undefined || k.publishedUntil === null || k.publishedUntil > now), ...fresh] };
}

export interface SealingBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
  sealedWithNewest(sealed: string): boolean;
}

export interface SigningKeysOptions {
  redis: RedisClient;
  prefix: string;
  box: SealingBox;
  clock: Clock;
  /** SIGNING_KEYS_FILE's keys (in development the generated DATA_DIR/jwks.json): the platform's first keys. */
  fileKeys: readonly JWK[];
  /** REDIS_REPLICA_ACKS: a keyring write counts once that many replicas hold it (a failover must not undo a rotation). */
  replicaAcks?: ReplicaAcks | undefined;
}

/** How often a process re-reads a keyring it holds, in case it missed a rotation's event. */
const RECHECK_MS = 30_000;
/** While Redis cannot be read, how often a process tries again (meanwhile the ring it holds serves). */
const RETRY_MS = 1000;

/** The keyrings in Redis, and this process's view of them. */
export class SigningKeys {
  private readonly views = new Map<string, { ring: Keyring; keys: IssuerKeys; checkAfter: number }>();
  /** One read (or first creation) of a scope's ring at a time per process. */
  private readonly reading = new Map<string, Promise<Keyring>>();
  private readonly opened = new Map<string, JWK>();
  private readonly imported = new Map<string, Promise<CryptoKey | Uint8Array>>();

  constructor(private readonly o: SigningKeysOptions) {}

  private material(key: RingKey): JWK | null {
    if (key.sealed === undefined) return this.fileKey(key.kid);
    let jwk = this.opened.get(key.sealed);
    if (!jwk) {
      jwk = JSON.parse(this.o.box.open(key.sealed)) as JWK;
      this.opened.set(key.sealed, jwk);
    }
    return jwk;
  }

  private fileKey(kid: string): JWK | null {
    return this.o.fileKeys.find((k) => fileKeyIdentity(k)?.kid === kid) ?? null;
  }

  private fileKeysOf(scope: KeyScope): readonly JWK[] {
    return scope.kind === 'platform' ? this.o.fileKeys : [];
  }

  private async readRing(scope: KeyScope): Promise<Keyring | null> {
    const raw = await this.o.redis.get(ringRedisKey(this.o.prefix, scope));
    return raw === null ? null : parseRing(raw);
  }

  private async confirmed(scope: KeyScope): Promise<void> {
    if (this.o.replicaAcks) await awaitReplicas(this.o.redis, ringRedisKey(this.o.prefix, scope), this.o.replicaAcks);
  }

  private async sealedKey(alg: SigningAlg, now: number, signsFrom: number): Promise<RingKey> {
    const jwk = await generateSigningKey(alg);
    return { kid: jwk.kid, alg, sealed: this.o.box.seal(JSON.stringify(jwk)), createdAt: now, signsFrom, signsUntil: null, publishedUntil: null };
  }

  /**
   * A tenant's own ring is made on first use (by whichever process is first; the others read it).
   * A ring this process has held and now finds missing is not made anew: new keys signing at once
   * would orphan every token issued (a failover that lost the ring is an outage, not a fresh start).
   */
  private async ensureRing(scope: KeyScope): Promise<Keyring> {
    const existing = await this.readRing(scope);
    if (existing) return existing;
    if (scope.kind === 'platform') return { keys: [] };
    if (this.views.has(scopeName(scope))) {
      throw new AppError('STORE_UNAVAILABLE', undefined, { params: { reason: `the signing keyring of ${scopeName(scope)} is gone from Redis` } });
    }
    const now = this.o.clock.now();
    const fresh = await Promise.all(SIGNING_ALGS.map((alg) => this.sealedKey(alg, now, now)));
    const ring = await updateJson(this.o.redis, ringRedisKey(this.o.prefix, scope), parseRing, (current) => current ?? { keys: fresh });
    await this.confirmed(scope);
    return ring;
  }

  private ringOf(scope: KeyScope): Promise<Keyring> {
    const name = scopeName(scope);
    let pending = this.reading.get(name);
    if (!pending) {
      pending = this.ensureRing(scope).finally(() => this.reading.delete(name));
      this.reading.set(name, pending);
    }
    return pending;
  }

  /**
   * The keys `tenant`'s issuer publishes and signs with now. Kept per process; recomputed when a
   * stage changes, re-read every 30 s and at once after `forget` (a rotation's event). While
   * Redis cannot be read the ring held goes on serving (keys are not revocable state), its
   * stages still moving with the clock, and Redis is asked again once a second, not per request.
   */
  async issuerKeys(tenant: Pick<Tenant, 'id' | 'signingKeys'>): Promise<IssuerKeys> {
    const scope = scopeOf(tenant);
    const name = scopeName(scope);
    const now = this.o.clock.now();
    const fileKeys = this.fileKeysOf(scope);
    let view = this.views.get(name);
    if (!view || now >= view.checkAfter) {
      try {
        const ring = await this.ringOf(scope);
        const keys = issuerKeysAt(ring, fileKeys, now, (k) => this.material(k));
        view = { ring, keys, checkAfter: Math.min(now + RECHECK_MS, keys.nextChange ?? Infinity) };
      } catch (err) {
        if (!view) throw err;
        const keys = issuerKeysAt(view.ring, fileKeys, now, (k) => this.material(k));
        view = { ring: view.ring, keys, checkAfter: now + RETRY_MS };
      }
    } else if (view.keys.nextChange !== null && now >= view.keys.nextChange) {
      const keys = issuerKeysAt(view.ring, fileKeys, now, (k) => this.material(k));
      view = { ring: view.ring, keys, checkAfter: Math.min(view.checkAfter, keys.nextChange ?? Infinity) };
    }
    this.views.set(name, view);
    return view.keys;
  }

  /**
   * The key an issuer signs its other JWTs with: of `alg` when asked (Logout Tokens, in the
   * client's ID token algorithm); else ES256 when there is one (X-Auth-Token), else RS256, else the
   * first signing key of another type in SIGNING_KEYS_FILE (not managed here). Imported once per kid.
   */
  async signer(tenant: Pick<Tenant, 'id' | 'signingKeys'>, alg?: SigningAlg): Promise<{ key: CryptoKey | Uint8Array; alg: string; kid: string }> {
    const keys = await this.issuerKeys(tenant);
    const jwk = alg
      ? keys.signing[alg]
      : (keys.signing.ES256 ?? keys.signing.RS256 ?? keys.jwks.keys.find((k) => typeof k.alg === 'string' && typeof k.kid === 'string' && k.use !== 'enc' && fileKeyIdentity(k) === null));
    if (!jwk?.kid || !jwk.alg) throw new AppError('INTERNAL', undefined, { cause: new Error(`tenant ${tenant.id} has no ${alg ? `${alg} ` : ''}signing key`) });
    const { kid } = jwk;
    let imported = this.imported.get(kid);
    if (!imported) {
      const { key_ops: _ops, ...plain } = jwk;
      imported = importJWK(plain, jwk.alg);
      // Bounded like the opened secrets: a kid is imported once while it signs.
      if (this.imported.size >= 1000) this.imported.clear();
      this.imported.set(kid, imported);
    }
    return { key: await imported, alg: jwk.alg, kid };
  }

  /** Drops this process's view of a scope (all of them for null): the next use reads Redis. */
  forget(tenant: string | null): void {
    if (tenant === null) this.views.clear();
    else this.views.delete(scopeName({ kind: 'tenant', tenant }));
  }

  /** The stages of a scope's keys now (for `keys list`). */
  async list(scope: KeyScope): Promise<IssuerKeys['stages']> {
    const ring = (await this.readRing(scope)) ?? { keys: [] };
    return issuerKeysAt(ring, this.fileKeysOf(scope), this.o.clock.now(), (k) => (k.sealed === undefined ? this.fileKey(k.kid) : {})).stages;
  }

  /**
   * Rotates a scope's keys: a new key per algorithm, published now and signing from
   * now + publishAheadMs; the keys signing until then stay published keepMs longer (plus a
   * margin for processes that learn of it late).
   */
  async rotate(scope: KeyScope, opts: { publishAheadMs: number; keepMs: number }): Promise<{ added: RingKey[]; retired: RingKey[]; before: Keyring; after: Keyring }> {
    if (!(opts.publishAheadMs >= 1000) || !(opts.keepMs >= LONGEST_SIGNED_TOKEN_SECONDS * 1000)) {
      throw new AppError('INVALID_INPUT', undefined, { params: { issues: `publish-ahead must be at least 1 s and keep at least ${LONGEST_SIGNED_TOKEN_SECONDS} s (the longest token lifetime)` } });
    }
    const now = this.o.clock.now();
    const signsFrom = now + opts.publishAheadMs;
    const fresh = await Promise.all(SIGNING_ALGS.map((alg) => this.sealedKey(alg, now, signsFrom)));
    const key = ringRedisKey(this.o.prefix, scope);
    let before: Keyring = { keys: [] };
    // A tenant's ring that was never used is made first: its first keys are the ones retired.
    if (scope.kind === 'tenant') await this.ensureRing(scope);
    const after = await updateJson(this.o.redis, key, parseRing, (current) => {
      before = current ?? { keys: [] };
      return rotateRing(before, this.fileKeysOf(scope), fresh, now, opts.keepMs);
    });
    await this.confirmed(scope);
    this.forget(scope.kind === 'platform' ? null : scope.tenant);
    const beforeKeys = new Map(withFileKeys(before, this.fileKeysOf(scope)).map((k) => [k.kid, k]));
    const retired = after.keys.filter((k) => k.signsUntil !== null && beforeKeys.get(k.kid)?.signsUntil !== k.signsUntil);
    const bare = ({ sealed: _s, ...k }: RingKey): RingKey => k;
    return { added: fresh.map(bare), retired: retired.map(bare), before, after };
  }

  /** Seals a scope's private keys anew with the newest secrets key (`keys reseal`); how many were. */
  async reseal(scope: KeyScope): Promise<number> {
    let count = 0;
    const key = ringRedisKey(this.o.prefix, scope);
    if ((await this.o.redis.exists(key)) === 0) return 0;
    await updateJson(this.o.redis, key, parseRing, (current) => {
      count = 0;
      return {
        keys: (current ?? { keys: [] }).keys.map((k) => {
          if (k.sealed === undefined || this.o.box.sealedWithNewest(k.sealed)) return k;
          count++;
          return { ...k, sealed: this.o.box.seal(this.o.box.open(k.sealed)) };
        }),
      };
    });
    await this.confirmed(scope);
    return count;
  }

  /**
   * Puts a ring back as it was before a rotation (undoing one whose audit entry could not be
   * written), only if it is still what that rotation wrote: a later change is never overwritten.
   */
  async restore(scope: KeyScope, rotated: Keyring, before: Keyring): Promise<void> {
    await compareAndSet.run(this.o.redis, [ringRedisKey(this.o.prefix, scope)], [JSON.stringify(rotated), JSON.stringify(before)]);
    this.forget(scope.kind === 'platform' ? null : scope.tenant);
  }
}
