import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock.js';
import type { SessionRevoker, SupportSession } from '../../src/support-access/sessions.js';
import { closeSupportRequests, openSupportRequest } from '../../src/support-access/support.js';
import { enderWorld, type EnderWorld } from './ender-world.js';

/**
 * Where sessions are kept, as the ender sees it: it asks through this interface only (the OIDC
 * adapter is one implementation). This one records what it was asked and keeps stamps of
 * sessions whose mark is gone.
 */
class RecordingRevoker implements SessionRevoker {
  readonly revoked: string[] = [];
  readonly stamps = new Map<string, SupportSession>();
  async stampOf(tenant: string, uid: string): Promise<SupportSession | null> {
    return this.stamps.get(`${tenant}/${uid}`) ?? null;
  }
  async revoke(tenant: string, uid: string): Promise<{ grants: number }> {
    this.revoked.push(`${tenant}/${uid}`);
    return { grants: 2 };
  }
}

describe('the session ender ends support sessions through the revoker interface', () => {
  const clock = new ManualClock(Date.parse('2026-11-22T08:00:00Z'));
  let w: EnderWorld;
  beforeAll(async () => {
    w = await enderWorld('session-ender', clock);
  });
  afterAll(async () => w.close());

  it('leaves a session alone while its access lasts, and revokes it exactly once when it ends, even with two enders racing', async () => {
    await openSupportRequest(w.domain, { tenant: 'acme', username: 'john', hours: 1 });
    await w.store.save(w.session('s1'));
    const revoker = new RecordingRevoker();
    const [a, b] = [w.enderWith(revoker), w.enderWith(revoker)];
    expect(await a.recheck('acme', 's1', 'test')).toBe(false);
    expect(revoker.revoked).toEqual([]);
    await closeSupportRequests(w.domain, { tenant: 'acme', username: 'john' });
    const before = (await w.ended()).length;
    expect(await Promise.all([a.recheck('acme', 's1', 'test'), b.recheck('acme', 's1', 'test')])).toEqual([true, true]);
    expect(revoker.revoked).toEqual(['acme/s1']);
    const entries = await w.ended();
    expect(entries.length - before).toBe(1);
    expect(entries[0]).toMatchObject({ who: 'jill$john', actor: { name: 'jill' }, subject: { name: 'john' }, cause: 'support-not-enabled', details: { grants: 2 } });
    expect(await w.store.get('acme', 's1')).toBeNull();
  });

  it('finds a session by the stamp the stored session carries when its mark is gone, and still ends it', async () => {
    const revoker = new RecordingRevoker();
    revoker.stamps.set('acme/s2', w.session('s2'));
    await w.store.save(w.session('s2'));
    // The mark is gone; jill's index still lists the w.session (acme's window is closed by now).
    await w.store.remove('acme', 's2');
    await w.enderWith(revoker).onEvent({ type: 'support.user.reduced', userId: w.jill.id, username: 'jill', reason: 'scope-reduced' });
    expect(revoker.revoked).toEqual(['acme/s2']);
  });

  it('ends a session begun before its support user changed password', async () => {
    await openSupportRequest(w.domain, { tenant: 'acme', username: 'john', hours: 1 });
    await w.store.save(w.session('s3'));
    const revoker = new RecordingRevoker();
    const ender = w.enderWith(revoker);
    expect(await ender.recheck('acme', 's3', 'test')).toBe(false);
    clock.advance(1000);
    const { setUser } = await import('../../src/users/users.js');
    await setUser(w.domain, { tenant: 'management', username: 'jill', password: 'another-long-pw' });
    expect(await ender.recheck('acme', 's3', 'password')).toBe(true);
    expect(revoker.revoked).toEqual(['acme/s3']);
  });
});
