import { describe, expect, it } from '@jest/globals';
import { Argon2idHasher, phcParams } from '../../src/users/passwords.js';

describe('argon2id password hashing', () => {
  const defaults = new Argon2idHasher({ memoryKiB: 19456, timeCost: 2, parallelism: 1 });

  it('writes PHC strings with the default parameters m=19456 KiB, t=2, p=1 and a fresh salt', async () => {
    const a = await defaults.hash('correct horse battery staple');
    const b = await defaults.hash('correct horse battery staple');
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(phcParams(a)).toEqual({ algorithm: 'argon2id', memoryKiB: 19456, timeCost: 2, parallelism: 1 });
    expect(a).not.toBe(b);
  });

  it('verifies the right password only', async () => {
    const phc = await defaults.hash('correct horse battery staple');
    expect(await defaults.verify(phc, 'correct horse battery staple')).toBe(true);
    expect(await defaults.verify(phc, 'Correct horse battery staple')).toBe(false);
  });

  it('treats a malformed hash as a mismatch rather than throwing', async () => {
    expect(await defaults.verify('not-a-phc-string', 'x')).toBe(false);
  });

  it('verifies hashes written by the other argon2 library (PHC is the interchange format)', async () => {
    const argon2 = (await import('argon2')).default;
    const phc = await argon2.hash('interop-pw', { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(await defaults.verify(phc, 'interop-pw')).toBe(true);
  });

  it('verifyNobody always answers false', async () => {
    expect(await defaults.verifyNobody('supportgate-no-such-user')).toBe(false);
  });
});
