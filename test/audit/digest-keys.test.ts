import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { keyIdOf } from '../../src/audit/digests.js';
import { loadConfig } from '../../src/config.js';
import { AppError } from '../../src/errors.js';
import { loadAuditDigestKey, loadAuditDigestPublicKeys, publicKeyText } from '../../src/secrets/keys.js';

const freshDir = () => mkdtempSync(join(tmpdir(), 'sg-digest-keys-'));

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('the audit digest key', () => {
  it('is generated once under DATA_DIR in development (mode 0600) and reused', () => {
    const config = loadConfig({ env: { NODE_ENV: 'development', DATA_DIR: join(freshDir(), 'data') } });
    const first = loadAuditDigestKey(config);
    expect(first.source).toBe('generated');
    expect(first.privateKey.asymmetricKeyType).toBe('ed25519');
    expect(statSync(join(config.dataDir, 'audit-digest-key.pem')).mode & 0o777).toBe(0o600);
    const second = loadAuditDigestKey(config);
    expect(second.source).toBe('loaded');
    expect(keyIdOf(second.publicKey)).toBe(keyIdOf(first.publicKey));
    expect(loadAuditDigestPublicKeys(config).map(keyIdOf)).toEqual([keyIdOf(first.publicKey)]);
  });

  it('is required from AUDIT_DIGEST_KEY_FILE in production, as a PEM or a JWK, readable by its owner only', () => {
    const dir = freshDir();
    const env = { NODE_ENV: 'production', DATA_DIR: dir };
    expect(refusal(() => loadAuditDigestKey(loadConfig({ env }))).issues).toEqual(['keys.auditDigestKeyFile (AUDIT_DIGEST_KEY_FILE): required in production']);

    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = join(dir, 'digest.pem');
    writeFileSync(pem, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const jwk = join(dir, 'digest.jwk');
    writeFileSync(jwk, JSON.stringify(privateKey.export({ format: 'jwk' })), { mode: 0o600 });
    for (const file of [pem, jwk]) {
      const loaded = loadAuditDigestKey(loadConfig({ env: { ...env, AUDIT_DIGEST_KEY_FILE: file } }));
      expect({ source: loaded.source, keyId: keyIdOf(loaded.publicKey) }).toEqual({ source: 'config', keyId: keyIdOf(publicKey) });
    }

    chmodSync(pem, 0o640);
    expect(refusal(() => loadAuditDigestKey(loadConfig({ env: { ...env, AUDIT_DIGEST_KEY_FILE: pem } }))).message).toBe(
      `the signing keys file ${pem} has mode 0640: group and others must have no access to private keys; run: chmod 600 ${pem}`,
    );
  });

  it('refuses a file that is not an Ed25519 private key, without quoting it', () => {
    const dir = freshDir();
    const rsa = join(dir, 'rsa.pem');
    const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeFileSync(rsa, rsaPem, { mode: 0o600 });
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldC1zZWNyZXQ=\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
    const rsaErr = refusal(() => loadAuditDigestKey(loadConfig({ env: { NODE_ENV: 'development', DATA_DIR: dir, AUDIT_DIGEST_KEY_FILE: rsa } })));
    expect(rsaErr).toMatchObject({ code: 'INVALID_CONFIG', message: `cannot read the audit digest key from ${rsa}: an rsa key, not Ed25519` });
    const junkErr = refusal(() => loadAuditDigestKey(loadConfig({ env: { NODE_ENV: 'development', DATA_DIR: dir, AUDIT_DIGEST_KEY_FILE: junk } })));
    expect(junkErr.message).toBe(`cannot read the audit digest key from ${junk}: not a PEM (PKCS#8) or JWK private key`);
    expect(`${rsaErr.message}${junkErr.message}`).not.toContain('c2VjcmV0');
  });

  it('verify trusts AUDIT_DIGEST_PUBLIC_KEYS and the key file\'s own public half; production needs one of them', () => {
    const dir = freshDir();
    const current = generateKeyPairSync('ed25519');
    const rotatedOut = generateKeyPairSync('ed25519');
    const file = join(dir, 'digest.pem');
    writeFileSync(file, current.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const env = { NODE_ENV: 'production', DATA_DIR: dir };

    const both = loadAuditDigestPublicKeys(loadConfig({ env: { ...env, AUDIT_DIGEST_KEY_FILE: file, AUDIT_DIGEST_PUBLIC_KEYS: publicKeyText(rotatedOut.publicKey) } }));
    expect(both.map(keyIdOf)).toEqual([keyIdOf(rotatedOut.publicKey), keyIdOf(current.publicKey)]);
    const publicOnly = loadAuditDigestPublicKeys(loadConfig({ env: { ...env, AUDIT_DIGEST_PUBLIC_KEYS: publicKeyText(current.publicKey) } }));
    expect(publicOnly.map(keyIdOf)).toEqual([keyIdOf(current.publicKey)]);
    expect(refusal(() => loadAuditDigestPublicKeys(loadConfig({ env }))).issues).toEqual([
      'keys.auditDigestPublicKeys (AUDIT_DIGEST_PUBLIC_KEYS) or keys.auditDigestKeyFile (AUDIT_DIGEST_KEY_FILE): required in production to check the audit digests',
    ]);
  });

  it('takes its settings from the documented defaults and refuses bad ones, each named with its environment variable', () => {
    expect(loadConfig({ env: {} }).audit).toMatchObject({ digestEveryEntries: 100, digestEverySeconds: 60 });
    const err = refusal(() => loadConfig({ env: { AUDIT_DIGEST_PUBLIC_KEYS: 'not-a-key', AUDIT_DIGEST_EVERY_ENTRIES: '0', AUDIT_DIGEST_EVERY_SECONDS: 'soon' } }));
    expect(err.issues).toEqual([
      'keys.auditDigestPublicKeys (AUDIT_DIGEST_PUBLIC_KEYS): each must be an Ed25519 public key: 32 bytes, base64url encoded (the "x" of its JWK)',
      'audit.digestEveryEntries (AUDIT_DIGEST_EVERY_ENTRIES): must be at least 1',
      'audit.digestEverySeconds (AUDIT_DIGEST_EVERY_SECONDS): must be an integer between 1 and 86400',
    ]);
  });
});
