import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ManualClock } from '../../src/clock.js';
import type { Domain } from '../../src/domain.js';
import { AppError } from '../../src/errors.js';
import type { RedisClient } from '../../src/redis/client.js';
import { tenantKey } from '../../src/redis/keys.js';
import { closeSupportRequests, openSupportRequest, supportStatus } from '../../src/support-access/support.js';
import { HOUR } from '../../src/support-access/window.js';
import { createTenant, ensureManagementTenant } from '../../src/tenants/tenants.js';
import { createUser } from '../../src/users/users.js';
import { openDomain, testConfig } from '../support/env.js';
import { ReferenceWindow } from './reference.js';

const USERS = ['ann', 'bob', 'cyd', 'admin'] as const;
type Step =
  | { kind: 'open'; user: number; hours: number }
  | { kind: 'close'; user: number }
  | { kind: 'advance'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('open' as const), user: fc.integer({ min: 0, max: 3 }), hours: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 168 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 169, 500) }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('close' as const), user: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 1, max: 3 * HOUR }), fc.integer({ min: 1, max: 200 * HOUR }), fc.constant(1)) }) },
);

describe('support window against the reference model', () => {
  const config = testConfig('support-property');
  const clock = new ManualClock(Date.parse('2026-11-22T00:00:00Z'));
  let domain: Domain;
  let redis: RedisClient;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const opened = await openDomain(config);
    ({ redis, close } = opened);
    domain = { ...opened.domain, clock };
    await ensureManagementTenant(domain.tenants, clock);
    await createTenant(domain.tenants, clock, { id: 'acme' });
    for (const u of USERS) await createUser(domain, { tenant: 'acme', username: u, password: 'long-enough-pw', roles: [u === 'admin' ? 'tenant-admin' : 'user'] });
  });
  afterAll(async () => close());

  it('agrees with the model at every step of 1,000 random sequences of open, close and time passing', async () => {
    let sequences = 0;
    let steps = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (sequence) => {
        sequences++;
        await redis.del(tenantKey(config.redis.prefix, 'acme', 'support', 'window'));
        clock.set(Date.parse('2026-11-22T00:00:00Z'));
        const model = new ReferenceWindow();
        for (const s of sequence) {
          steps++;
          const now = clock.now();
          if (s.kind === 'advance') {
            clock.advance(s.ms);
          } else if (s.kind === 'open') {
            const valid = s.hours >= 1 && s.hours <= 168;
            const result = await openSupportRequest(domain, { tenant: 'acme', username: USERS[s.user]!, hours: s.hours }).then(() => 'ok', (e: AppError) => e.code);
            expect(result).toBe(valid ? 'ok' : 'SUPPORT_HOURS');
            if (valid) model.open(USERS[s.user]!, now, s.hours);
          } else {
            const user = USERS[s.user]!;
            const expected = model.close(user, user === 'admin', now);
            const result = await closeSupportRequests(domain, { tenant: 'acme', username: user }).then((r) => r.closed.length, (e: AppError) => e.code);
            expect(result).toBe(expected === 0 ? 'NO_ACTIVE_REQUEST' : expected);
          }
          const status = await supportStatus(domain, 'acme');
          const at = clock.now();
          const end = model.end();
          expect({
            enabled: status.access.enabled,
            until: status.access.until,
            active: status.activeRequests,
            states: status.requests.map((r) => `${r.openedBy.username}/${r.hours}/${r.state}`),
          }).toEqual({
            enabled: end !== null && end > at,
            until: end !== null && end > at ? end : null,
            active: model.states(at).filter((x) => x === 'active').length,
            states: model.requests.map((r, i) => `${r.by}/${r.hours}/${model.states(at)[i]}`),
          });
        }
      }),
      { numRuns: 1000 },
    );
    expect(sequences).toBeGreaterThanOrEqual(1000);
    expect(steps).toBeGreaterThan(5000);
  }, 180_000);
});
