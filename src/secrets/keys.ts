import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';

/** Signing keys (private JWKS) and the secrets cookies and client-secret encryption need. */
export interface KeyMaterial {
  jwks: { keys: JWK[] };
  cookieSecrets: string[];
  /** Keys sealing secrets at rest, newest first. */
  clientSecretsKey: string[];
  /** Where they came from, for the start-up log line (never the values). */
  source: 'config' | 'generated' | 'loaded';
}

interface DevSecretsFile {
  cookieSecrets: string[];
  clientSecretsKey: string;
}

async function generateJwks(): Promise<{ keys: JWK[] }> {
  const keys: JWK[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = await exportJWK(privateKey);
    keys.push({ ...jwk, alg, use: 'sig', kid: randomBytes(8).toString('base64url') });
  }
  return { keys };
}

/** Writes a file only if it does not exist yet (mode 0600); false when another process was first. */
function writeOnce(file: string, content: string): boolean {
  try {
    writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function readKeyFile(file: string, what: string, check?: (fd: number) => void): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    check?.(fd);
    return readFileSync(fd, 'utf8');
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('KEYS_FILE_UNREADABLE', undefined, { params: { what, file, reason: (err as Error).message } });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function readJsonFile<T>(file: string, what: string, check?: (fd: number) => void): T {
  const text = readKeyFile(file, what, check);
  try {
    return JSON.parse(text) as T;
  } catch {
    // JSON.parse's own message quotes the start of the text: a private key must not reach a log.
    throw new AppError('KEYS_FILE_NOT_JSON', undefined, { params: { what, file } });
  }
}

/**
 * Production refuses private keys that group or others may read or write. The mode is taken from
 * the opened file, so the file checked is the file read.
 */
function ownerOnly(file: string): (fd: number) => void {
  return (fd) => {
    const mode = fstatSync(fd).mode & 0o777;
    if ((mode & 0o077) === 0) return;
    throw new AppError('SIGNING_KEYS_FILE_MODE', undefined, { params: { file, mode: mode.toString(8).padStart(3, '0') } });
  };
}

/**
 * Keys from config; in development/test, the missing ones are generated once under DATA_DIR and
 * reused on every later start. Production refuses to start without them, or with a signing-keys
 * file that group or others may read or write.
 */
export async function loadKeyMaterial(config: Config): Promise<KeyMaterial> {
  const { signingKeysFile, cookieSecrets, clientSecretsKey } = config.keys;
  const configured = signingKeysFile !== null && cookieSecrets.length > 0 && clientSecretsKey.length > 0;
  if (!configured && config.env === 'production') {
    const missing = [
      signingKeysFile === null && 'keys.signingKeysFile (SIGNING_KEYS_FILE)',
      cookieSecrets.length === 0 && 'keys.cookieSecrets (COOKIE_SECRETS)',
      clientSecretsKey.length === 0 && 'keys.clientSecretsKey (CLIENT_SECRETS_KEY)',
    ].filter(Boolean);
    throw new AppError('KEYS_REQUIRED_IN_PRODUCTION', undefined, {
      issues: missing.map((m) => `${m}: required in production`),
    });
  }

  let generated = false;
  const devFile = (name: string) => join(config.dataDir, name);
  if (!configured) mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });

  let jwks: { keys: JWK[] };
  if (signingKeysFile !== null) {
    jwks = readJsonFile(signingKeysFile, 'signing keys', config.env === 'production' ? ownerOnly(signingKeysFile) : undefined);
  } else {
    generated = writeOnce(devFile('jwks.json'), JSON.stringify(await generateJwks(), null, 2)) || generated;
    jwks = readJsonFile(devFile('jwks.json'), 'development signing keys');
  }
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0 || jwks.keys.some((k) => typeof k.d !== 'string')) {
    throw new AppError('SIGNING_KEYS_NO_PRIVATE_KEY');
  }

  let dev: DevSecretsFile | undefined;
  if (cookieSecrets.length === 0 || clientSecretsKey.length === 0) {
    const fresh: DevSecretsFile = {
      cookieSecrets: [randomBytes(32).toString('base64url')],
      clientSecretsKey: randomBytes(32).toString('base64url'),
    };
    generated = writeOnce(devFile('secrets.json'), JSON.stringify(fresh, null, 2)) || generated;
    dev = readJsonFile<DevSecretsFile>(devFile('secrets.json'), 'development secrets');
  }

  return {
    jwks,
    cookieSecrets: cookieSecrets.length > 0 ? cookieSecrets : dev!.cookieSecrets,
    clientSecretsKey: clientSecretsKey.length > 0 ? clientSecretsKey : [dev!.clientSecretsKey],
    source: configured ? 'config' : generated ? 'generated' : 'loaded',
  };
}

/** The Ed25519 key pair that signs audit digests; the private half never goes to Redis. */
export interface AuditDigestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  source: 'config' | 'generated' | 'loaded';
}

const DEV_DIGEST_KEY = 'audit-digest-key.pem';

/** A PEM (PKCS#8) or JWK Ed25519 private key; the error never quotes the file. */
function parseDigestKey(text: string, file: string): KeyObject {
  let key: KeyObject;
  try {
    key = text.trimStart().startsWith('-----BEGIN') ? createPrivateKey(text) : createPrivateKey({ key: JSON.parse(text) as JsonWebKey, format: 'jwk' });
  } catch {
    throw new AppError('KEYS_FILE_UNREADABLE', undefined, { params: { what: 'the audit digest key', file, reason: 'not a PEM (PKCS#8) or JWK private key' } });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new AppError('KEYS_FILE_UNREADABLE', undefined, { params: { what: 'the audit digest key', file, reason: `an ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519` } });
  }
  return key;
}

/**
 * The key the gateway signs audit digests with: AUDIT_DIGEST_KEY_FILE (in production required,
 * and refused while group or others may read or write it); in development/test generated once
 * under DATA_DIR and reused.
 */
export function loadAuditDigestKey(config: Config): AuditDigestKey {
  const file = config.keys.auditDigestKeyFile;
  if (file === null && config.env === 'production') {
    throw new AppError('KEYS_REQUIRED_IN_PRODUCTION', undefined, { issues: ['keys.auditDigestKeyFile (AUDIT_DIGEST_KEY_FILE): required in production'] });
  }
  let source: AuditDigestKey['source'] = 'config';
  let privateKey: KeyObject;
  if (file !== null) {
    privateKey = parseDigestKey(readKeyFile(file, 'the audit digest key', config.env === 'production' ? ownerOnly(file) : undefined), file);
  } else {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const dev = join(config.dataDir, DEV_DIGEST_KEY);
    const fresh = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    source = writeOnce(dev, fresh) ? 'generated' : 'loaded';
    privateKey = parseDigestKey(readKeyFile(dev, 'the development audit digest key'), dev);
  }
  return { privateKey, publicKey: createPublicKey(privateKey), source };
}

/**
 * The public keys `audit verify` checks digests with: AUDIT_DIGEST_PUBLIC_KEYS, plus the public
 * half of the digest key when it is readable here (in development the generated one). Production
 * needs at least one of the two: a verify that cannot check signatures must not say OK.
 */
export function loadAuditDigestPublicKeys(config: Config): KeyObject[] {
  const { auditDigestKeyFile, auditDigestPublicKeys } = config.keys;
  const keys = auditDigestPublicKeys.map((x) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }));
  if (auditDigestKeyFile !== null || config.env !== 'production') keys.push(loadAuditDigestKey(config).publicKey);
  if (keys.length === 0) {
    throw new AppError('KEYS_REQUIRED_IN_PRODUCTION', undefined, {
      issues: ['keys.auditDigestPublicKeys (AUDIT_DIGEST_PUBLIC_KEYS) or keys.auditDigestKeyFile (AUDIT_DIGEST_KEY_FILE): required in production to check the audit digests'],
    });
  }
  return keys;
}

/** An Ed25519 public key as AUDIT_DIGEST_PUBLIC_KEYS takes it (the JWK's `x`). */
export function publicKeyText(publicKey: KeyObject): string {
  return publicKey.export({ format: 'jwk' }).x!;
}
