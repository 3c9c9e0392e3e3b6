import { describe, expect, it } from '@jest/globals';
import type { JWK } from 'jose';
import { fileKeyIdentity, issuerKeysAt, LATE_SIGNING_MARGIN_MS, rotateRing, type Keyring, type RingKey } from '../../src/secrets/signing-keys.js';

// The stages are a pure function of the ring and the time: every process computes the same.
const HOUR = 3_600_000;
const key = (kid: string, alg: 'RS256' | 'ES256', signsFrom: number): RingKey => ({ kid, alg, sealed: `sealed-${kid}`, createdAt: signsFrom, signsFrom, signsUntil: null, publishedUntil: null });
const material = (k: RingKey): JWK => ({ kty: k.alg === 'RS256' ? 'RSA' : 'EC', kid: k.kid });
const stages = (ring: Keyring, now: number, fileKeys: JWK[] = []) => Object.fromEntries(issuerKeysAt(ring, fileKeys, now, material).stages.map((s) => [s.kid, s.stage]));

describe('a keyring over time', () => {
  const t0 = 1_000_000_000_000;
  const first: Keyring = { keys: [key('rs1', 'RS256', t0), key('es1', 'ES256', t0)] };
  const rotated = rotateRing(first, [], [key('rs2', 'RS256', t0 + 10 * 60_000), key('es2', 'ES256', t0 + 10 * 60_000)], t0, HOUR);

  it('publishes the new keys at once, signs with them from their time, keeps the old ones for the keep time and a margin, then drops them', () => {
    expect(stages(rotated, t0)).toEqual({ rs1: 'signing', es1: 'signing', rs2: 'next', es2: 'next' });
    expect(stages(rotated, t0 + 10 * 60_000)).toEqual({ rs1: 'retiring', es1: 'retiring', rs2: 'signing', es2: 'signing' });
    // Kept the keep time, plus a margin for a process that learnt of the rotation late (it signs with the old key meanwhile).
    const gone = t0 + 10 * 60_000 + HOUR + LATE_SIGNING_MARGIN_MS;
    expect(stages(rotated, gone - 1)).toEqual({ rs1: 'retiring', es1: 'retiring', rs2: 'signing', es2: 'signing' });
    expect(stages(rotated, gone)).toEqual({ rs2: 'signing', es2: 'signing' });
  });

  it('marks every key that does not sign verify-only, so oidc-provider signs with exactly one key per algorithm', () => {
    const view = issuerKeysAt(rotated, [], t0, material);
    expect(view.jwks.keys.filter((k) => k.key_ops === undefined).map((k) => k.kid).sort()).toEqual(['es1', 'rs1']);
    expect(view.jwks.keys.filter((k) => k.key_ops?.includes('verify')).map((k) => k.kid).sort()).toEqual(['es2', 'rs2']);
    expect(view.signing.RS256?.kid).toBe('rs1');
    expect(view.nextChange).toBe(t0 + 10 * 60_000);
  });

  it('changes its version exactly when a stage changes (the provider pool rebuilds an issuer on it)', () => {
    const v = (now: number) => issuerKeysAt(rotated, [], now, material).version;
    expect(v(t0)).toBe(v(t0 + 60_000));
    expect(v(t0 + 10 * 60_000)).not.toBe(v(t0));
    expect(v(t0 + 10 * 60_000 + HOUR + LATE_SIGNING_MARGIN_MS)).not.toBe(v(t0 + 10 * 60_000));
  });

  it('rotating again before the pending key signs: that key never signs, the newest takes over at its time', () => {
    const again = rotateRing(rotated, [], [key('rs3', 'RS256', t0 + 20 * 60_000), key('es3', 'ES256', t0 + 20 * 60_000)], t0 + 60_000, HOUR);
    expect(stages(again, t0 + 60_000)).toMatchObject({ rs1: 'signing', rs2: 'next', rs3: 'next' });
    expect(stages(again, t0 + 15 * 60_000)).toMatchObject({ rs1: 'retiring', rs2: 'signing', rs3: 'next' });
    expect(stages(again, t0 + 20 * 60_000)).toMatchObject({ rs1: 'retiring', rs2: 'retiring', rs3: 'signing' });
  });

  it("retires SIGNING_KEYS_FILE's keys by kid on a platform rotation, keeping their material in the file", () => {
    const file: JWK[] = [{ kty: 'RSA', kid: 'file-rs', alg: 'RS256' }, { kty: 'EC', kid: 'file-es', alg: 'ES256' }];
    const fileMaterial = (k: RingKey): JWK | null => (k.sealed === undefined ? (file.find((f) => f.kid === k.kid) ?? null) : material(k));
    expect(issuerKeysAt({ keys: [] }, file, t0, fileMaterial).stages.map((s) => [s.kid, s.stage, s.fromFile])).toEqual([
      ['file-rs', 'signing', true],
      ['file-es', 'signing', true],
    ]);
    const ring = rotateRing({ keys: [] }, file, [key('rs2', 'RS256', t0 + 1000), key('es2', 'ES256', t0 + 1000)], t0, HOUR);
    expect(ring.keys.filter((k) => k.sealed === undefined).map((k) => [k.kid, k.signsUntil])).toEqual([
      ['file-rs', t0 + 1000],
      ['file-es', t0 + 1000],
    ]);
    expect(Object.fromEntries(issuerKeysAt(ring, file, t0 + 1000, fileMaterial).stages.map((s) => [s.kid, s.stage]))).toEqual({ 'file-rs': 'retiring', 'file-es': 'retiring', rs2: 'signing', es2: 'signing' });
    // A file key the operator removed from the file is no longer published.
    expect(issuerKeysAt(ring, [file[1]!], t0 + 1000, (k) => (k.sealed === undefined ? (k.kid === 'file-es' ? file[1]! : null) : material(k))).stages.map((s) => s.kid)).not.toContain('file-rs');
  });

  it('names a file key without kid or alg by its public key and type, the same in every process; other key types pass through unmanaged', () => {
    const bare: JWK = { kty: 'RSA', n: 'abc', e: 'AQAB', d: 'x' };
    expect(fileKeyIdentity(bare)).toEqual({ kid: expect.stringMatching(/^[\w-]{16}$/), alg: 'RS256' });
    expect(fileKeyIdentity({ ...bare, d: 'other private part' })).toEqual(fileKeyIdentity(bare));
    expect(fileKeyIdentity({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' })?.alg).toBe('ES256');
    const ed: JWK = { kty: 'OKP', crv: 'Ed25519', x: 'a', kid: 'ed' };
    expect(fileKeyIdentity(ed)).toBeNull();
    const view = issuerKeysAt({ keys: [] }, [bare, ed], t0, (k) => (k.sealed === undefined ? bare : null));
    expect(view.jwks.keys.map((k) => k.kid)).toEqual([fileKeyIdentity(bare)!.kid, 'ed']);
  });
});
