import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { AuditDigester, DigestSigner } from '../../src/audit/digests.js';
import { RedisAuditStore } from '../../src/audit/redis-audit-store.js';
import { RedisDigestStore } from '../../src/audit/redis-digest-store.js';
import { verifyTenantLog, type VerifyResult } from '../../src/audit/verify.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { loadAuditDigestKey, publicKeyText } from '../../src/secrets/keys.js';
import { rewriteHistory } from '../audit/forger.js';
import { cli, cliEnv } from '../support/cli.js';

describe('audit verify with signed digests, from the command line', () => {
  it('prints what the digests vouch for, reports a history rewritten with recomputed hashes and exits non-zero, also with only the public key in production', async () => {
    const e = cliEnv('audit-digests-cli');
    expect((await cli(['tenant', 'create', 'acme'], e)).code).toBe(0);
    for (const u of ['ann', 'bob']) expect((await cli(['user', 'create', 'acme', u, '--password-stdin'], e, 'long-enough-pw')).code).toBe(0);

    // The gateway's digester, with the development key the gateway would generate under DATA_DIR.
    const redis = new Redis(e.REDIS_URL!);
    const prefix = e.REDIS_PREFIX!;
    const key = loadAuditDigestKey(loadConfig({ env: e }));
    const chain = new RedisAuditStore(redis, prefix);
    const digester = new AuditDigester({
      chain, digests: new RedisDigestStore(redis, prefix), signer: new DigestSigner(key.privateKey, key.publicKey),
      clock: new ManualClock(Date.parse('2026-11-20T09:00:00Z')), tenants: async () => ['acme'], everyEntries: 100, everySeconds: 60,
    });
    expect(await digester.digest('acme')).toMatchObject({ seq: 3, time: '2026-11-20T09:00:00.000Z' });

    const ok = await cli(['audit', 'verify', '--tenant', 'acme'], e);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toBe('acme: OK (3 entries, positions 1-3; 1 signed digest matches, the newest for position 3 of 2026-11-20T09:00:00.000Z)\n');
    // The verification is itself an entry, newer than the digest.
    expect((await cli(['audit', 'verify', '--tenant', 'acme'], e)).stdout).toBe(
      'acme: OK (4 entries, positions 1-4; 1 signed digest matches, the newest for position 3 of 2026-11-20T09:00:00.000Z; 1 newer entry not signed yet)\n',
    );

    // A forger with Redis write access renames ann's creation to mallory and recomputes every later hash and the head.
    const { before, after } = await rewriteHistory(redis, prefix, 'acme', 2, (x) => ({ ...x, subject: { ...x.subject!, name: 'mallory' } }));
    expect((await verifyTenantLog(chain, 'acme')).ok).toBe(true); // the chain alone cannot tell
    const id3 = JSON.parse(((await redis.xrange(`${prefix}{t:acme}:audit`, '-', '+')) as [string, string[]][])[2]![1][5]!).id as string;
    const rewritten = `acme: BROKEN at position 3 (id ${id3}): history rewritten at or before position 3: the digest of 2026-11-20T09:00:00.000Z signed hash ${before[2]}, the chain now has ${after[2]}\n`;
    const broken = await cli(['audit', 'verify', '--tenant', 'acme'], e);
    expect(broken).toEqual({ code: 1, stdout: rewritten, stderr: 'supportgate: the audit log of acme failed verification\n' });

    const json = await cli(['audit', 'verify', '--tenant', 'acme', '--json'], e);
    const [result] = JSON.parse(json.stdout) as VerifyResult[];
    expect(result).toMatchObject({ ok: false, position: 3, digests: { digests: 1, matched: 0, problems: [{ seq: 3 }] } });

    // An auditor's machine: production, no private digest key, only its public half.
    const data = e.DATA_DIR!;
    const prod = {
      ...e,
      NODE_ENV: 'production',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-auditor-')),
      SIGNING_KEYS_FILE: join(data, 'jwks.json'),
      COOKIE_SECRETS: 'c'.repeat(32),
      CLIENT_SECRETS_KEY: (JSON.parse(readFileSync(join(data, 'secrets.json'), 'utf8')) as { clientSecretsKey: string }).clientSecretsKey,
    };
    expect(await cli(['audit', 'verify', '--tenant', 'acme'], { ...prod, AUDIT_DIGEST_PUBLIC_KEYS: publicKeyText(key.publicKey) })).toMatchObject({ code: 1, stdout: rewritten });

    const stranger = generateKeyPairSync('ed25519').publicKey;
    const untrusted = await cli(['audit', 'verify', '--tenant', 'acme'], { ...prod, AUDIT_DIGEST_PUBLIC_KEYS: publicKeyText(stranger) });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stdout).toMatch(/^acme: BROKEN at position 3 \(id \S+\): the digest for position 3 \(2026-11-20T09:00:00.000Z\) is signed by key \S+, which is not a trusted digest key \(AUDIT_DIGEST_PUBLIC_KEYS\)\n$/);

    const unconfigured = await cli(['audit', 'verify', '--tenant', 'acme'], prod);
    expect(unconfigured.code).toBe(78);
    expect(unconfigured.stderr).toContain('keys.auditDigestPublicKeys (AUDIT_DIGEST_PUBLIC_KEYS) or keys.auditDigestKeyFile (AUDIT_DIGEST_KEY_FILE): required in production to check the audit digests');
    await redis.quit();
  });
});
