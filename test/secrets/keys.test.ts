import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config.js';
import { AppError } from '../../src/errors.js';
import { loadKeyMaterial } from '../../src/secrets/keys.js';
import { SecretBox } from '../../src/secrets/secret-box.js';

const freshDir = () => mkdtempSync(join(tmpdir(), 'sg-keys-'));

describe('keys and secrets', () => {
  it('generates development keys once under DATA_DIR with mode 0600, then reuses them', async () => {
    const dataDir = join(freshDir(), 'data');
    const config = loadConfig({ env: { NODE_ENV: 'development', DATA_DIR: dataDir } });
    const first = await loadKeyMaterial(config);
    expect(first.source).toBe('generated');
    for (const file of ['jwks.json', 'secrets.json']) {
      expect(statSync(join(dataDir, file)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(first.jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    const second = await loadKeyMaterial(config);
    expect(second.source).toBe('loaded');
    expect(second).toMatchObject({ jwks: first.jwks, cookieSecrets: first.cookieSecrets, clientSecretsKey: first.clientSecretsKey });
  });

  it('two processes starting at once end with one set of keys', async () => {
    const dataDir = join(freshDir(), 'data');
    const config = loadConfig({ env: { NODE_ENV: 'development', DATA_DIR: dataDir } });
    const [a, b] = await Promise.all([loadKeyMaterial(config), loadKeyMaterial(config)]);
    expect(a.jwks).toEqual(b.jwks);
    expect(a.clientSecretsKey).toEqual(b.clientSecretsKey);
  });

  it('refuses to start production without configured keys, naming each missing one', async () => {
    const config = loadConfig({ env: { NODE_ENV: 'production', DATA_DIR: freshDir() } });
    const err = (await loadKeyMaterial(config).catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.issues).toEqual([
      'keys.signingKeysFile (SIGNING_KEYS_FILE): required in production',
      'keys.cookieSecrets (COOKIE_SECRETS): required in production',
      'keys.clientSecretsKey (CLIENT_SECRETS_KEY): required in production',
    ]);
  });

  it('uses configured keys in production and refuses a JWKS without private keys', async () => {
    const dir = freshDir();
    const dev = await loadKeyMaterial(loadConfig({ env: { NODE_ENV: 'development', DATA_DIR: dir } }));
    const file = join(dir, 'prod-jwks.json');
    writeFileSync(file, JSON.stringify(dev.jwks), { mode: 0o600 });
    const env = { NODE_ENV: 'production', DATA_DIR: dir, SIGNING_KEYS_FILE: file, COOKIE_SECRETS: 'x'.repeat(32), CLIENT_SECRETS_KEY: dev.clientSecretsKey.join(',') };
    expect((await loadKeyMaterial(loadConfig({ env }))).source).toBe('config');
    const publicOnly = { keys: dev.jwks.keys.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub }) => pub) };
    writeFileSync(file, JSON.stringify(publicOnly));
    await expect(loadKeyMaterial(loadConfig({ env }))).rejects.toThrow(/at least one private key/);
    expect(readFileSync(file, 'utf8')).not.toContain('"d"');
  });

  it('refuses to start production with a signing-keys file that group or others may read or write, naming the file, its mode and the fix', async () => {
    const dir = freshDir();
    const dev = await loadKeyMaterial(loadConfig({ env: { NODE_ENV: 'development', DATA_DIR: dir } }));
    const file = join(dir, 'prod-jwks.json');
    writeFileSync(file, JSON.stringify(dev.jwks), { mode: 0o600 });
    const env = { NODE_ENV: 'production', DATA_DIR: dir, SIGNING_KEYS_FILE: file, COOKIE_SECRETS: 'x'.repeat(32), CLIENT_SECRETS_KEY: dev.clientSecretsKey.join(',') };
    const secretParts = dev.jwks.keys.map((k) => k.d!);
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602, 0o666]) {
      chmodSync(file, mode);
      const err = (await loadKeyMaterial(loadConfig({ env })).catch((e: unknown) => e)) as AppError;
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('INVALID_CONFIG');
      expect(err.message).toBe(
        `the signing keys file ${file} has mode 0${mode.toString(8)}: group and others must have no access to private keys; run: chmod 600 ${file}`,
      );
      for (const d of secretParts) expect(err.message).not.toContain(d.slice(0, 8));
    }
    for (const mode of [0o600, 0o400]) {
      chmodSync(file, mode);
      expect((await loadKeyMaterial(loadConfig({ env }))).source).toBe('config');
    }
  });

  it('keeps working in development with a signing-keys file others may read', async () => {
    const dir = freshDir();
    const dev = await loadKeyMaterial(loadConfig({ env: { NODE_ENV: 'development', DATA_DIR: dir } }));
    const file = join(dir, 'shared-jwks.json');
    writeFileSync(file, JSON.stringify(dev.jwks));
    chmodSync(file, 0o644);
    const loaded = await loadKeyMaterial(loadConfig({ env: { NODE_ENV: 'development', DATA_DIR: dir, SIGNING_KEYS_FILE: file } }));
    expect(loaded.jwks).toEqual(dev.jwks);
  });

  it('names a signing-keys file that is not JSON without quoting any of its content', async () => {
    const dir = freshDir();
    const file = join(dir, 'jwks.json');
    writeFileSync(file, 'dSECRET-PRIVATE-KEY-MATERIAL', { mode: 0o600 });
    const err = (await loadKeyMaterial(loadConfig({ env: { NODE_ENV: 'development', DATA_DIR: dir, SIGNING_KEYS_FILE: file } })).catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toMatch(new RegExp(`^cannot read signing keys from ${file}: not valid JSON`));
    expect(err.message).not.toContain('SECRET');
  });

  it('seals client secrets so that they can be opened only with the key, and detects tampering', () => {
    const box = new SecretBox(Buffer.alloc(32, 7).toString('base64url'));
    const sealed = box.seal('client-secret-value');
    expect(sealed).not.toContain('client-secret-value');
    expect(box.open(sealed)).toBe('client-secret-value');
    const other = new SecretBox(Buffer.alloc(32, 8).toString('base64url'));
    expect(() => other.open(sealed)).toThrow();
    // Changes the second-to-last character (six whole bits of the tag), whatever it was: the test
    // once picked the replacement by the last character and, 1 time in 64, changed nothing.
    const tampered = `${sealed.slice(0, -2)}${sealed.at(-2) === 'A' ? 'B' : 'A'}${sealed.slice(-1)}`;
    expect(tampered).not.toBe(sealed);
    expect(() => box.open(tampered)).toThrow();
  });
});
