import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';

/** Signing keys (private JWKS) and the secrets cookies and client-secret encryption need. */
export interface KeyMaterial {
  jwks: { keys: JWK[] };
  cookieSecrets: string[];
  clientSecretsKey: string;
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

function readJsonFile<T>(file: string, what: string, check?: (fd: number) => void): T {
  let text: string;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    check?.(fd);
    text = readFileSync(fd, 'utf8');
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('KEYS_FILE_UNREADABLE', undefined, { params: { what, file, reason: (err as Error).message } });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
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
  const configured = signingKeysFile !== null && cookieSecrets.length > 0 && clientSecretsKey !== null;
  if (!configured && config.env === 'production') {
    const missing = [
      signingKeysFile === null && 'keys.signingKeysFile (SIGNING_KEYS_FILE)',
      cookieSecrets.length === 0 && 'keys.cookieSecrets (COOKIE_SECRETS)',
      clientSecretsKey === null && 'keys.clientSecretsKey (CLIENT_SECRETS_KEY)',
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
  if (cookieSecrets.length === 0 || clientSecretsKey === null) {
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
    clientSecretsKey: clientSecretsKey ?? dev!.clientSecretsKey,
    source: configured ? 'config' : generated ? 'generated' : 'loaded',
  };
}
