import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock.js';
import type { Domain } from '../../src/domain.js';
import { queryPage } from '../../src/audit/query.js';
import { RedisSupportSessionStore } from '../../src/support-access/redis-support-session-store.js';
import { SupportSessionEnder } from '../../src/support-access/session-ender.js';
import type { SessionRevoker, SupportSession } from '../../src/support-access/sessions.js';
import { closeSupportRequests, openSupportRequest } from '../../src/support-access/support.js';
import { createTenant, ensureManagementTenant } from '../../src/tenants/tenants.js';
import { createUser } from '../../src/users/users.js';
import { openDomain, testConfig } from '../support/env.js';

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
  let domain: Domain;
  let close: () => Promise<void>;
  let store: RedisSupportSessionStore;
  let jill: { id: string; username: string };
  let john: { id: string; username: string };

  beforeAll(async () => {
    const config = testConfig('session-ender');
    const opened = await openDomain(config);
    close = opened.close;
    domain = { ...opened.domain, clock };
    store = new RedisSupportSessionStore(opened.redis, config.redis.prefix);
    await ensureManagementTenant(domain.tenants, clock);
    await createTenant(domain.tenants, clock, { id: 'acme' });
    const j = await createUser(domain, { tenant: 'management', username: 'jill', password: 'long-enough-pw', roles: ['support'], scope: ['acme'] });
    const u = await createUser(domain, { tenant: 'acme', username: 'john', password: 'long-enough-pw' });
    jill = { id: j.id, username: j.username };
    john = { id: u.id, username: u.username };
  });
  afterAll(async () => close());

  const session = (uid: string): SupportSession => ({ tenant: 'acme', sessionUid: uid, actor: jill, target: john, until: null, startedAt: clock.now() });
  const enderWith = (revoker: SessionRevoker) => new SupportSessionEnder({ access: domain, tenants: domain.tenants, sessions: store, revoker, audit: domain.audit });
  const ended = async () => (await queryPage({ audit: domain.auditStore, tenants: domain.tenants, users: domain.users }, { tenant: 'acme', action: 'session.ended' }, 50)).entries;

  it('leaves a session alone while its access lasts, and revokes it exactly once when it ends, even with two enders racing', async () => {
    await openSupportRequest(domain, { tenant: 'acme', username: 'john', hours: 1 });
    await store.save(session('s1'));
    const revoker = new RecordingRevoker();
    const [a, b] = [enderWith(revoker), enderWith(revoker)];
    expect(await a.recheck('acme', 's1', 'test')).toBe(false);
    expect(revoker.revoked).toEqual([]);
    await closeSupportRequests(domain, { tenant: 'acme', username: 'john' });
    const before = (await ended()).length;
    expect(await Promise.all([a.recheck('acme', 's1', 'test'), b.recheck('acme', 's1', 'test')])).toEqual([true, true]);
    expect(revoker.revoked).toEqual(['acme/s1']);
    const entries = await ended();
    expect(entries.length - before).toBe(1);
    expect(entries[0]).toMatchObject({ who: 'jill$john', actor: { name: 'jill' }, subject: { name: 'john' }, cause: 'support-not-enabled', details: { grants: 2 } });
    expect(await store.get('acme', 's1')).toBeNull();
  });

  it('finds a session by the stamp the stored session carries when its mark is gone, and still ends it', async () => {
    const revoker = new RecordingRevoker();
    revoker.stamps.set('acme/s2', session('s2'));
    await store.save(session('s2'));
    // The mark is gone; jill's index still lists the session (acme's window is closed by now).
    await store.remove('acme', 's2');
    await enderWith(revoker).onEvent({ type: 'support.user.reduced', userId: jill.id, username: 'jill', reason: 'scope-reduced' });
    expect(revoker.revoked).toEqual(['acme/s2']);
  });

  it('ends a session begun before its support user changed password', async () => {
    await openSupportRequest(domain, { tenant: 'acme', username: 'john', hours: 1 });
    await store.save(session('s3'));
    const revoker = new RecordingRevoker();
    const ender = enderWith(revoker);
    expect(await ender.recheck('acme', 's3', 'test')).toBe(false);
    clock.advance(1000);
    const { setUser } = await import('../../src/users/users.js');
    await setUser(domain, { tenant: 'management', username: 'jill', password: 'another-long-pw' });
    expect(await ender.recheck('acme', 's3', 'password')).toBe(true);
    expect(revoker.revoked).toEqual(['acme/s3']);
  });
});
