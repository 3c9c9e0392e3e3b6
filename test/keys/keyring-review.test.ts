import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JWK } from 'jose';
import type { Clock } from '../../src/clock.js';
import { connectRedis, createRedis, type RedisClient } from '../../src/redis/client.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { generateSigningKey, issuerKeysAt, rotateRing, SigningKeys, type RingKey } from '../../src/secrets/signing-keys.js';
import { testConfig } from '../support/env.js';

// Findings of the review of issue 14's keyring, each seen failing before its fix.
const HOUR = 3_600_000;
const t0 = 1_000_000_000_000;
const key = (kid: string, alg: 'RS256' | 'ES256', signsFrom: number): RingKey => ({ kid, alg, sealed: `sealed-${kid}`, createdAt: signsFrom, signsFrom, signsUntil: null, publishedUntil: null });
const material = (file: JWK[]) => (k: RingKey): JWK | null => (k.sealed === undefined ? (file.find((f) => f.kid === k.kid) ?? null) : { kty: k.alg === 'RS256' ? 'RSA' : 'EC', kid: k.kid });
const stages = (ring: Parameters<typeof issuerKeysAt>[0], file: JWK[], now: number) => Object.fromEntries(issuerKeysAt(ring, file, now, material(file)).stages.map((s) => [s.kid, s.stage]));

describe('the keyring, as reviewed', () => {
  it('never publishes a retired SIGNING_KEYS_FILE key again, however many rotations later', () => {
    const file: JWK[] = [{ kty: 'RSA', kid: 'file-rs', alg: 'RS256' }];
    let ring = rotateRing({ keys: [] }, file, [key('rs2', 'RS256', t0 + 1000)], t0, HOUR);
    // Long after the file key left the JWKS, another rotation.
    const later = t0 + 10 * HOUR;
    expect(stages(ring, file, later)).not.toHaveProperty('file-rs');
    ring = rotateRing(ring, file, [key('rs3', 'RS256', later + 1000)], later, HOUR);
    expect(stages(ring, file, later)).not.toHaveProperty('file-rs');
    expect(stages(ring, file, later + 1000)).not.toHaveProperty('file-rs');
  });

  it("honours a file key's use and key_ops: an encryption key is no signing key, a verify-only key never signs", () => {
    const file: JWK[] = [
      { kty: 'RSA', kid: 'old', alg: 'RS256', key_ops: ['verify'] },
      { kty: 'RSA', kid: 'new', alg: 'RS256' },
      { kty: 'RSA', kid: 'enc', use: 'enc' },
    ];
    const view = issuerKeysAt({ keys: [] }, file, t0, material(file));
    expect(view.signing.RS256?.kid).toBe('new');
    expect(Object.fromEntries(view.stages.map((s) => [s.kid, s.stage]))).toEqual({ old: 'retiring', new: 'signing' });
    // The encryption key is passed on as the file has it, not turned into a signing key.
    expect(view.jwks.keys.find((k) => k.kid === 'enc')).toEqual({ kty: 'RSA', kid: 'enc', use: 'enc' });
  });
});

describe('a process whose Redis is away when a stage changes', () => {
  let redis: RedisClient;
  beforeAll(async () => {
    const config = testConfig('keyring-outage');
    redis = createRedis(config, { mode: 'server' });
    await connectRedis(redis, config);
  });
  afterAll(() => redis.disconnect());

  it('switches to the new key at its time from the ring it holds, and does not ask Redis on every request meanwhile', async () => {
    let now = Date.now();
    const clock: Clock = { now: () => now };
    const config = testConfig('keyring-outage');
    const box = new SecretBox([Buffer.alloc(32, 7).toString('base64url')]);
    const keys = new SigningKeys({ redis, prefix: config.redis.prefix, box, clock, fileKeys: [(await generateSigningKey('RS256'))] });
    const tenant = { id: 'acme', signingKeys: 'own' as const };
    const first = await keys.issuerKeys(tenant);
    await keys.rotate({ kind: 'tenant', tenant: 'acme' }, { publishAheadMs: 60_000, keepMs: HOUR });
    const rotated = await keys.issuerKeys(tenant);
    const next = rotated.stages.find((s) => s.stage === 'next' && s.alg === 'RS256')!;
    // Redis goes away; the new key's time comes.
    let gets = 0;
    const get = redis.get.bind(redis);
    redis.get = ((...args: Parameters<typeof redis.get>) => {
      gets++;
      return Promise.reject(new Error('Connection is closed.'));
    }) as typeof redis.get;
    try {
      now = next.signsFrom + 1;
      const during = await keys.issuerKeys(tenant);
      expect(during.signing.RS256?.kid).toBe(next.kid);
      for (let i = 0; i < 20; i++) await keys.issuerKeys(tenant);
      expect(gets).toBeLessThanOrEqual(1);
    } finally {
      redis.get = get;
    }
    expect(first.signing.RS256?.kid).not.toBe(next.kid);
  });
});
