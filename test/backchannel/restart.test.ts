import { afterAll, describe, expect, it } from '@jest/globals';
import { signIn } from '../../bench/oidc-client.js';
import { RedisLogoutQueue } from '../../src/oidc/backchannel-queue.js';
import { openRedis } from '../support/env.js';
import { backchannelWorld, LogoutReceiver, pw, signOut, until, type BackchannelWorld } from './world.js';

describe('back-channel logouts survive a gateway restart', () => {
  const receiver = new LogoutReceiver();
  let first: BackchannelWorld | undefined;
  let second: BackchannelWorld | undefined;
  afterAll(async () => {
    await first?.stop().catch(() => undefined);
    await second?.stop();
    await receiver.stop();
  });

  it('a logout queued while the app was down is delivered by the next gateway on the same Redis; one claimed by a process that died is taken over once its claim lapses', async () => {
    await receiver.start();
    const port = receiver.port;
    // The first gateway retries after 1.5 s: it is stopped right after its first attempt.
    first = await backchannelWorld('bcl-restart', { receiver, gateway: { backchannelLogout: { retryDelaysMs: [1500, 1500, 1500, 1500, 1500] } } });
    await receiver.stop(); // the app is down: connections are refused
    const john = await signIn(first.apps.app1, 'john', pw('john'));
    if (!john.ok) throw new Error(john.error);
    const sid = john.tokens.claims()!.sid as string;
    await signOut(first.apps.app1, john.browser, john.tokens.id_token!);
    const failed = await until(async () => (await first!.entries({ action: 'logout.failed' })).find((e) => e.details.sid === sid), 'the first, failed attempt');
    expect(failed).toMatchObject({ cause: 'unreachable', details: { attempt: 1, status: null, final: false } });
    await first.gateway.stop();

    // Meanwhile another process claimed a logout and died before attempting it.
    const redis = await openRedis(first.config);
    try {
      const queue = new RedisLogoutQueue(redis, first.config.redis.prefix);
      const orphan = { tenant: 'acme', clientId: 'app2', sid: 'orphaned-sid', sub: john.tokens.claims()!.sub, who: 'john', actor: null, subject: null, trigger: 'logout', queuedAt: Date.now() };
      expect(await queue.enqueue(orphan, Date.now())).toBe(true);
      const [claimed] = await queue.claim(Date.now(), 1500, 10);
      expect(claimed).toMatchObject({ attempt: 1, job: { sid: 'orphaned-sid' } });
      // Nobody else can take it while the claim holds.
      expect(await queue.claim(Date.now(), 1500, 10)).toEqual([]);

      await receiver.start(port); // the app is back
      second = await backchannelWorld('bcl-restart', { receiver, config: first.config, seed: false });
      const got = await until(() => receiver.to('/app1').find((r) => r.claims.sid === sid), 'delivery by the new gateway');
      expect(await second.verify(got.token, 'app1')).toMatchObject({ sid, aud: 'app1' });
      const orphaned = await until(() => receiver.to('/app2').find((r) => r.claims.sid === 'orphaned-sid'), 'the orphaned logout');
      expect(await second.verify(orphaned.token, 'app2')).toMatchObject({ sid: 'orphaned-sid' });
      const delivered = await until(async () => {
        const e = await second!.entries({ action: 'logout.delivered' });
        return e.length === 2 && e;
      }, 'both deliveries recorded');
      // The died process's claim counts as an attempt: the new process's is the second. (The first
      // gateway may have made a second failed attempt of its own while it was stopping.)
      const attempts = Object.fromEntries(delivered.map((e) => [e.details.sid, e.details.attempt]));
      expect(attempts['orphaned-sid']).toBe(2);
      expect([2, 3]).toContain(attempts[sid]);
      expect(receiver.to('/app1').filter((r) => r.claims.sid === sid)).toHaveLength(1);
      expect(await queue.size()).toBe(0);
    } finally {
      await redis.quit();
    }
  }, 60_000);
});
