import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { LONGEST_DERIVED_TTL_S, RedisSupportSessionStore, supportMarkKey } from '../../src/support-access/redis-support-session-store.js';
import { RedisSupportWindowStore } from '../../src/support-access/redis-support-store.js';
import type { SupportSession } from '../../src/support-access/sessions.js';
import { EMPTY_WINDOW, prolong } from '../../src/support-access/window.js';
import type { StoreWorld } from './world.js';

const T0 = Date.UTC(2026, 0, 1);

/** The support windows store: compare-and-set of a window, the schedule of ends, claims, logins. */
export function describeSupportWindowStoreContract(world: () => StoreWorld): void {
  describe('support windows', () => {
    const store = () => new RedisSupportWindowStore(world().redis, world().prefix);

    it('reads an empty window first, then keeps every one of many concurrent openings', async () => {
      const { keys } = world();
      expect(await store().read('win-a')).toEqual(EMPTY_WINDOW);
      const before = await keys.snapshot();
      const by = { id: 'id-ann', username: 'ann' };
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => store().update('win-a', (w) => prolong(w, { id: `r${i}`, openedBy: by, openedAt: T0, hours: 1, reason: null, closedAt: null, closedBy: null }))),
      );
      const window = await store().read('win-a');
      expect(window.version).toBe(20);
      expect(window.end).toBe(T0 + 20 * 3_600_000);
      expect(window.requests.map((r) => r.id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`).sort());
      expect(await keys.tagsWrittenSince(before)).toEqual(['t:win-a']);
    });

    it('answers the tenants whose window end is due, and unschedules an end only if nobody moved it', async () => {
      const { keys } = world();
      const before = await keys.snapshot();
      await store().schedule('win-a', T0 + 1000);
      await store().schedule('win-b', T0 + 5000);
      expect(await store().due(T0 + 2000)).toEqual([{ tenant: 'win-a', end: T0 + 1000 }]);
      // The window was prolonged meanwhile: unscheduling the old end must not drop the new one.
      await store().schedule('win-a', T0 + 3000);
      await store().unschedule('win-a', T0 + 1000);
      expect(await store().due(T0 + 4000)).toEqual([{ tenant: 'win-a', end: T0 + 3000 }]);
      expect(await keys.tagsWrittenSince(before)).toEqual(['g']);
      await store().unschedule('win-a', T0 + 3000);
      await store().schedule('win-b', null);
      expect(await store().due(T0 + 10_000)).toEqual([]);
    });

    it('grants a claim to exactly one of many parallel claimers, and again once it is released', async () => {
      const { keys } = world();
      const before = await keys.snapshot();
      const claims = await Promise.all(Array.from({ length: 50 }, () => store().claim('win-a', `expired:${T0}`)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await keys.tagsWrittenSince(before)).toEqual(['t:win-a']);
      await store().release('win-a', `expired:${T0}`);
      expect(await store().claim('win-a', `expired:${T0}`)).toBe(true);
    });

    it('keeps the newest ten support logins of a tenant, newest first', async () => {
      const { keys } = world();
      const before = await keys.snapshot();
      for (let i = 0; i < 12; i++) await store().noteLogin('win-a', { at: T0 + i, who: `jill$u${i}`, supportUser: 'jill', user: `u${i}` });
      expect((await store().lastLogins('win-a')).map((l) => l.user)).toEqual(Array.from({ length: 10 }, (_, i) => `u${11 - i}`));
      expect(await store().lastLogins('win-b')).toEqual([]);
      expect(await keys.tagsWrittenSince(before)).toEqual(['t:win-a']);
    });
  });
}

/** The support session store: marks in the tenant's slot, indexes by tenant and by support user. */
export function describeSupportSessionStoreContract(world: () => StoreWorld): void {
  describe('support sessions', () => {
    const store = () => new RedisSupportSessionStore(world().redis, world().prefix);
    const jill = { id: randomUUID(), username: 'jill' };
    const sue = { id: randomUUID(), username: 'sue' };
    const session = (tenant: string, sessionUid: string, actor: typeof jill): SupportSession => ({
      tenant,
      sessionUid,
      actor,
      target: { id: 'id-john', username: 'john' },
      until: T0 + 3_600_000,
      startedAt: T0,
    });

    it("marks sessions so that the mark outlives everything derived from them, and finds them by tenant and by support user", async () => {
      const { keys, redis, prefix } = world();
      const before = await keys.snapshot();
      await Promise.all([store().save(session('alpha', 'uid-1', jill)), store().save(session('zeta', 'uid-2', jill)), store().save(session('alpha', 'uid-3', sue))]);
      expect(await store().get('alpha', 'uid-1')).toEqual(session('alpha', 'uid-1', jill));
      expect(await store().get('zeta', 'uid-1')).toBeNull();
      expect(await redis.ttl(supportMarkKey(prefix, 'alpha', 'uid-1'))).toBeGreaterThan(LONGEST_DERIVED_TTL_S);
      expect((await store().inTenant('alpha')).sort()).toEqual(['uid-1', 'uid-3']);
      expect(await store().inTenant('zeta')).toEqual(['uid-2']);
      const byTenant = (a: { tenant: string; sessionUid: string }, b: { tenant: string }) => a.tenant.localeCompare(b.tenant);
      expect((await store().ofActor(jill.id)).sort(byTenant)).toEqual([{ tenant: 'alpha', sessionUid: 'uid-1' }, { tenant: 'zeta', sessionUid: 'uid-2' }]);
      expect(await store().ofActor(sue.id)).toEqual([{ tenant: 'alpha', sessionUid: 'uid-3' }]);
      expect(await keys.tagsWrittenSince(before)).toEqual([`a:${jill.id}`, `a:${sue.id}`, 't:alpha', 't:zeta'].sort());
    });

    it('removes a mark from its tenant and from its support user', async () => {
      const { keys } = world();
      await store().remove('alpha', 'uid-1', jill.id);
      expect(await store().get('alpha', 'uid-1')).toBeNull();
      expect(await store().inTenant('alpha')).toEqual(['uid-3']);
      expect(await store().ofActor(jill.id)).toEqual([{ tenant: 'zeta', sessionUid: 'uid-2' }]);
      await keys.allShaped();
    });

    it("lets exactly one of many parallel enders claim a session's end", async () => {
      const { keys } = world();
      const before = await keys.snapshot();
      const claims = await Promise.all(Array.from({ length: 30 }, () => store().claimEnd('zeta', 'uid-2')));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await keys.tagsWrittenSince(before)).toEqual(['t:zeta']);
    });
  });
}
