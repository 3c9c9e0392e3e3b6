import { beforeAll, describe, expect, it } from '@jest/globals';
import { LoginLimits, type LoginAttempt } from '../../src/support-access/login-limits.js';
import type { StoreWorld } from './world.js';

type Allowed = LoginAttempt & { allowed: true };

/**
 * The login limits: counted in Redis before the password is checked, by single-key scripts, so a
 * burst of parallel attempts cannot pass a limit. Small limits keep the bursts meaningful.
 */
export function describeLoginLimitsContract(world: () => StoreWorld): void {
  describe('login limits', () => {
    let limits: LoginLimits;
    beforeAll(() => {
      const { config, redis } = world();
      const login = { ...config.login, maxFailuresPerAccountAddress: 3, maxFailuresPerAddress: 10, maxFailuresPerAccount: 6, supportMaxFailuresPerAccountAddress: 2, supportMaxFailuresPerAccount: 4 };
      limits = new LoginLimits(redis, { ...config, login });
    });

    /** Attempts at once, each checking its password (wrongly) and finishing, as the login form does. */
    const burst = (count: number, tenant: string, typed: (i: number) => string, address: (i: number) => string) =>
      Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const attempt = await limits.begin(tenant, typed(i), address(i));
          if (attempt.allowed) await limits.finished(attempt);
          return attempt;
        }),
      );
    const once = async (tenant: string, typed: string, address: string) => (await burst(1, tenant, () => typed, () => address))[0]!;
    const allowed = (attempts: LoginAttempt[]) => attempts.filter((a): a is Allowed => a.allowed);
    const refusedBy = (attempts: LoginAttempt[]) => [...new Set(attempts.flatMap((a) => (a.allowed ? [] : [a.limit])))];

    it('of 200 parallel attempts for one account from one address, only the account-and-address limit get through, until a password verifies', async () => {
      const { keys } = world();
      const before = await keys.snapshot();
      const attempts = await burst(200, 'alpha', () => 'kim', () => '10.0.0.1');
      expect(allowed(attempts)).toHaveLength(3);
      expect(refusedBy(attempts)).toEqual(['account-address']);
      expect(await once('alpha', 'KIM', '10.0.0.1')).toMatchObject({ allowed: false, limit: 'account-address' });
      // The right password on one of the attempts that got through: the lock at this address ends.
      await limits.verified(allowed(attempts)[0]!);
      expect(await once('alpha', 'kim', '10.0.0.1')).toMatchObject({ allowed: true });
      // One account's keys sit in its tenant's slot; the per-address count is shared by all tenants.
      expect(await keys.tagsWrittenSince(before)).toEqual(['g', 't:alpha']);
    });

    it('of 200 parallel attempts for one account from 200 addresses, only the per-account limit get through; an address where the password verified may still try', async () => {
      const { keys } = world();
      const before = await keys.snapshot();
      const first = await burst(200, 'alpha', () => 'lee', (i) => `10.1.${i >> 8}.${i & 255}`);
      expect(allowed(first)).toHaveLength(6);
      expect(refusedBy(first)).toEqual(['account']);
      // A password verified at one of them: the run of failures ends, and that address is known.
      const home = allowed(first)[0]!;
      await limits.verified(home);
      const second = await burst(200, 'alpha', () => 'lee', (i) => `10.2.${i >> 8}.${i & 255}`);
      expect(allowed(second)).toHaveLength(6);
      const homeAddress = `10.1.${first.indexOf(home) >> 8}.${first.indexOf(home) & 255}`;
      expect(await once('alpha', 'lee', homeAddress)).toMatchObject({ allowed: true });
      expect(await once('alpha', 'lee', '10.3.0.1')).toMatchObject({ allowed: false, limit: 'account' });
      expect(await keys.tagsWrittenSince(before)).toEqual(['g', 't:alpha']);
    });

    it('of 200 parallel attempts for 200 accounts from one address, only the per-address limit get through', async () => {
      const { keys } = world();
      const before = await keys.snapshot();
      const attempts = await burst(200, 'zeta', (i) => `user-${i}`, () => '10.4.0.1');
      expect(allowed(attempts)).toHaveLength(10);
      expect(refusedBy(attempts)).toEqual(['address']);
      expect(await keys.tagsWrittenSince(before)).toEqual(['g', 't:zeta']);
    });

    it("a support login counts against the support user's own account, in whichever tenant it is tried", async () => {
      const { keys } = world();
      const before = await keys.snapshot();
      expect(await once('alpha', 'jill$john', '10.5.0.1')).toMatchObject({ allowed: true });
      expect(await once('zeta', 'Jill$bea', '10.5.0.1')).toMatchObject({ allowed: true });
      expect(await once('alpha', 'jill$ann', '10.5.0.1')).toMatchObject({ allowed: false, limit: 'account-address' });
      expect(await keys.tagsWrittenSince(before)).toEqual(['g', 't:management']);
    });
  });
}
