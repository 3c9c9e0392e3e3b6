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
import { updateJson } from '../redis/script.js';
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
  const alg = (k.alg ?? (k.kty === 'RSA' ? 'RS256' : k.kty === 'EC' && k.crv === 'P-256' ? 'ES256' : undefined)) as SigningAlg | undefined;
  if (!alg || !SIGNING_ALGS.includes(alg)) return null;
  const kid = k.kid ?? createHash('sha256').update(JSON.stringify([k.kty, k.crv, k.n, k.e, k.x, k.y])).digest('base64url').slice(0, 16);
  return { kid, alg };
}

/** The file's keys that the ring does not mention: they sign from the beginning, until a rotation retires them. */
function withFileKeys(ring: Keyring, fileKeys: readonly JWK[]): RingKey[] {
  const known = new Set(ring.keys.map((k) => k.kid));
  const fromFile: RingKey[] = [];
  for (const k of fileKeys) {
    const id = fileKeyIdentity(k);
    if (id && !known.has(id.kid)) fromFile.push({ ...id, createdAt: 0, signsFrom: 0, signsUntil: null, publishedUntil: null });
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
    return { ...k, signsUntil: until, publishedUntil: Math.max(until, signsFrom) + keepMs };
  });
  return { keys: [...keys.filter((k) => k.publishedUntil === null || k.publishedUntil > now), ...fresh] };
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
}

/** How often a process re-reads a keyring it holds, in case it missed a rotation's event. */
const RECHECK_MS = 30_000;

/** The keyrings in Redis, and this process's view of them. */
export class SigningKeys {
  private readonly views = new Map<string, { ring: Keyring; keys: IssuerKeys; checkAfter: number }>();
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

  private async sealedKey(alg: SigningAlg, now: number, signsFrom: number): Promise<RingKey> {
    const jwk = await generateSigningKey(alg);
    return { kid: jwk.kid, alg, sealed: this.o.box.seal(JSON.stringify(jwk)), createdAt: now, signsFrom, signsUntil: null, publishedUntil: null };
  }

  /** A tenant's own ring is made on first use (by whichever process is first; the others read it). */
  private async ensureRing(scope: KeyScope): Promise<Keyring> {
    const existing = await this.readRing(scope);
    if (existing) return existing;
    if (scope.kind === 'platform') return { keys: [] };
    const now = this.o.clock.now();
    const fresh = await Promise.all(SIGNING_ALGS.map((alg) => this.sealedKey(alg, now, now)));
    return updateJson(this.o.redis, ringRedisKey(this.o.prefix, scope), parseRing, (current) => current ?? { keys: fresh });
  }

  /**
   * The keys `tenant`'s issuer publishes and signs with now. Kept per process; recomputed when a
   * stage changes, re-read every 30 s and at once after `forget` (a rotation's event).
   */
  async issuerKeys(tenant: Pick<Tenant, 'id' | 'signingKeys'>): Promise<IssuerKeys> {
    const scope = scopeOf(tenant);
    const name = scopeName(scope);
    const now = this.o.clock.now();
    let view = this.views.get(name);
    if (!view || now >= view.checkAfter) {
      try {
        const ring = await this.ensureRing(scope);
        view = { ring, keys: issuerKeysAt(ring, this.fileKeysOf(scope), now, (k) => this.material(k)), checkAfter: now + RECHECK_MS };
      } catch (err) {
        // Keys are not revocable state: while Redis cannot be read, the view held goes on (tried again in a second).
        if (!view) throw err;
        view = { ...view, checkAfter: now + 1000 };
      }
    } else if (view.keys.nextChange !== null && now >= view.keys.nextChange) {
      view = { ...view, keys: issuerKeysAt(view.ring, this.fileKeysOf(scope), now, (k) => this.material(k)) };
    }
    if (view.keys.nextChange !== null) view.checkAfter = Math.min(view.checkAfter, view.keys.nextChange);
    this.views.set(name, view);
    return view.keys;
  }

  /** The key an issuer signs its other JWTs with (X-Auth-Token): ES256 when there is one. */
  async signer(tenant: Pick<Tenant, 'id' | 'signingKeys'>): Promise<{ key: CryptoKey | Uint8Array; alg: SigningAlg; kid: string }> {
    const keys = await this.issuerKeys(tenant);
    const jwk = keys.signing.ES256 ?? keys.signing.RS256;
    if (!jwk?.kid) throw new AppError('INTERNAL', undefined, { cause: new Error(`no signing key for tenant ${tenant.id}`) });
    const alg = jwk.alg as SigningAlg;
    let imported = this.imported.get(jwk.kid);
    if (!imported) {
      const { key_ops: _ops, ...plain } = jwk;
      imported = importJWK(plain, alg);
      // Bounded like the opened secrets: a kid is imported once while it signs.
      if (this.imported.size >= 1000) this.imported.clear();
      this.imported.set(jwk.kid, imported);
    }
    return { key: await imported, alg, kid: jwk.kid };
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
   * now + publishAheadMs; the keys signing until then stay published keepMs longer.
   */
  async rotate(scope: KeyScope, opts: { publishAheadMs: number; keepMs: number }): Promise<{ added: RingKey[]; retired: RingKey[]; before: Keyring }> {
    const now = this.o.clock.now();
    const signsFrom = now + opts.publishAheadMs;
    const fresh = await Promise.all(SIGNING_ALGS.map((alg) => this.sealedKey(alg, now, signsFrom)));
    const key = ringRedisKey(this.o.prefix, scope);
    let before: Keyring = { keys: [] };
    // A tenant's ring that was never used is made first: its first keys are the ones retired.
    if (scope.kind === 'tenant') before = await this.ensureRing(scope);
    const after = await updateJson(this.o.redis, key, parseRing, (current) => {
      before = current ?? { keys: [] };
      return rotateRing(before, this.fileKeysOf(scope), fresh, now, opts.keepMs);
    });
    this.forget(scope.kind === 'platform' ? null : scope.tenant);
    const beforeKeys = new Map(withFileKeys(before, this.fileKeysOf(scope)).map((k) => [k.kid, k]));
    const retired = after.keys.filter((k) => k.signsUntil !== null && beforeKeys.get(k.kid)?.signsUntil !== k.signsUntil);
    return { added: fresh.map(({ sealed: _s, ...k }) => k), retired: retired.map(({ sealed: _s, ...k }) => k), before };
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
    return count;
  }

  /** Puts a ring back as it was before a rotation (undoing one whose audit entry could not be written). */
  async restore(scope: KeyScope, ring: Keyring): Promise<void> {
    await this.o.redis.set(ringRedisKey(this.o.prefix, scope), JSON.stringify(ring));
    this.forget(scope.kind === 'platform' ? null : scope.tenant);
  }
}
