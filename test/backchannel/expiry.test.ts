import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signIn } from '../../bench/oidc-client.js';
import type { Clock } from '../../src/clock.js';
import { backchannelWorld, pw, until, type BackchannelWorld } from './world.js';

/** The gateway's clock: real time plus a jump the test makes (the provider's own token times stay real). */
class JumpingClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  jump(ms: number): void {
    this.offset += ms;
  }
}

describe('back-channel logout when a support window ends by time', () => {
  const clock = new JumpingClock();
  let world: BackchannelWorld;
  beforeAll(async () => {
    world = await backchannelWorld('bcl-expiry', { gateway: { clock } });
  }, 30_000);
  afterAll(async () => world.stop());

  it('the expiry watcher ends jill$john’s session and both apps get their Logout Token', async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'john', hours: 1 });
    const one = await signIn(world.apps.app1, 'jill$john', pw('jill'));
    if (!one.ok) throw new Error(one.error);
    const two = await signIn(world.apps.app2, 'jill$john', pw('jill'), { browser: one.browser });
    if (!two.ok) throw new Error(two.error);
    const sids = [one.tokens.claims()!.sid, two.tokens.claims()!.sid];
    clock.jump(2 * 3600_000);
    const entries = await until(async () => {
      const e = (await world.entries({ action: 'logout.delivered', who: 'jill$john' })).filter((x) => sids.includes(x.details.sid as string));
      return e.length === 2 && e;
    }, 'both deliveries');
    expect(entries.map((e) => e.details.trigger)).toEqual(['support.window.reduced', 'support.window.reduced']);
    expect(await world.entries({ action: 'support.window.expired' })).toHaveLength(1);
    const [a, b] = [world.receiver.to('/app1').find((r) => r.claims.sid === sids[0]), world.receiver.to('/app2').find((r) => r.claims.sid === sids[1])];
    // Signed at the gateway's clock, as every token it issues.
    expect(a!.claims).toMatchObject({ aud: 'app1', sub: one.tokens.claims()!.sub });
    expect(b!.claims).toMatchObject({ aud: 'app2', sub: two.tokens.claims()!.sub });
    expect(a!.claims.iat! * 1000).toBeGreaterThan(Date.now() + 3600_000);
  });
});
