import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { DigestKeyring, type SignedDigest } from '../../src/audit/digests.js';
import { RedisAuditStore } from '../../src/audit/redis-audit-store.js';
import { RedisDigestStore } from '../../src/audit/redis-digest-store.js';
import { verifyTenantLog } from '../../src/audit/verify.js';
import { createLogger } from '../../src/logger.js';
import { startGateway } from '../../src/main.js';
import { loadAuditDigestPublicKeys } from '../../src/secrets/keys.js';
import { openRedis, testConfig } from '../support/env.js';
import { loginEntry } from './support.js';

/** Waits for a condition the gateway reaches on its own (its digests are made after the entries' promises resolve). */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
}

describe('the gateway signs audit digests', () => {
  it('after every N entries, logs each digest, and signs what is left when it stops', async () => {
    const config = testConfig('digest-gateway', { AUDIT_DIGEST_EVERY_ENTRIES: '3' });
    let logged = '';
    const out = new PassThrough();
    out.on('data', (d: Buffer) => (logged += d.toString()));
    const gateway = await startGateway(config, { logger: createLogger({ logLevel: 'info', logFormat: 'json' }, out) });
    const digests = new RedisDigestStore(gateway.redis, config.redis.prefix);
    const keyring = new DigestKeyring(loadAuditDigestPublicKeys(config));

    const newest = async () => (await digests.newest('acme'))?.seq;
    try {
      for (const upTo of [3, 6]) {
        for (let i = upTo - 3; i < upTo; i++) await gateway.domain.audit.record(loginEntry('acme', i));
        await until(async () => (await newest()) === upTo);
        expect(await newest()).toBe(upTo);
      }
      await gateway.domain.audit.record(loginEntry('acme', 7));
    } finally {
      await gateway.stop();
    }

    const lines = logged.trim().split('\n').map((l) => JSON.parse(l) as { message: string; audience?: string; digest?: SignedDigest });
    expect(lines.find((l) => l.message.startsWith('audit digests signed with key'))?.message).toMatch(/development key under .*; public key for AUDIT_DIGEST_PUBLIC_KEYS: [A-Za-z0-9_-]{43}$/);
    expect(lines.filter((l) => l.audience === 'audit-digest').map((l) => l.digest!.seq)).toEqual([3, 6, 7]);

    // Stopping signed the seventh entry, which came after the last digest.
    const redis = await openRedis(config);
    const store = new RedisDigestStore(redis, config.redis.prefix);
    expect((await store.newest('acme'))?.seq).toBe(7);
    expect(await verifyTenantLog(new RedisAuditStore(redis, config.redis.prefix), 'acme', undefined, { store, keyring })).toMatchObject({
      ok: true,
      entries: 7,
      digests: { digests: 3, matched: 3, uncovered: 0, problems: [] },
    });
    await redis.quit();
  });
});
