import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock.js';
import { adapterFor, oidcKey, type AdapterClass } from '../../src/oidc/adapter.js';
import { OidcSessionRevoker } from '../../src/oidc/revoker.js';
import { LONGEST_DERIVED_TTL_S, RedisSupportSessionStore, supportMarkKey } from '../../src/support-access/redis-support-session-store.js';
import type { StoreWorld } from './world.js';

const DAY_S = 86_400;
/** Ids as oidc-provider makes them: random, and secrets (the adapter stores only their digests). */
const newId = () => randomBytes(32).toString('base64url');

/**
 * oidc-provider's storage for one tenant, driven directly: codes, tokens, grants, sessions and
 * interactions, the grant index their revocation reads, and the support mark a token extends.
 */
export function describeOidcAdapterContract(world: () => StoreWorld): void {
  describe('OIDC adapter', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const denied: (string | undefined)[] = [];
    let Adapter: AdapterClass;
    const model = (name: string) => new Adapter(name);
    const sessions = () => new RedisSupportSessionStore(world().redis, world().prefix);
    beforeAll(() => {
      const { domain, redis, prefix } = world();
      Adapter = adapterFor({ redis, prefix, tenant: 'alpha', access: { ...domain, clock }, clients: domain.clients, secretBox: domain.secretBox, sessions: sessions(), onSupportDenied: (uid) => denied.push(uid) });
    });

    const grant = async (grantId: string, sessionUid: string) => {
      const base = { accountId: 'id-john', clientId: 'web', grantId, sessionUid };
      const ids = { AccessToken: newId(), RefreshToken: newId(), AuthorizationCode: newId() };
      await model('Grant').upsert(grantId, { accountId: 'id-john', clientId: 'web' }, 14 * DAY_S);
      for (const [name, id] of Object.entries(ids)) await model(name).upsert(id, { ...base, jti: id }, name === 'RefreshToken' ? 14 * DAY_S : 600);
      return ids;
    };

    it('stores the codes and tokens of a grant under digests of their ids, and finds them again', async () => {
      const { keys } = world();
      const before = await keys.snapshot();
      const grantId = newId();
      const ids = await grant(grantId, 'uid-plain');
      for (const [name, id] of Object.entries(ids)) expect(await model(name).find(id)).toMatchObject({ jti: id, grantId, accountId: 'id-john', clientId: 'web' });
      expect(await model('Grant').find(grantId)).toMatchObject({ accountId: 'id-john', clientId: 'web' });
      expect(await model('AccessToken').find(newId())).toBeUndefined();
      // A dump of Redis yields no usable token: no key names one.
      const written = (await keys.allShaped()).filter((k) => !before.has(k));
      expect(written.filter((k) => [grantId, ...Object.values(ids)].some((id) => k.includes(id)))).toEqual([]);
      expect(await keys.tagsWrittenSince(before)).toEqual(['t:alpha']);
    });

    it('revoking a grant removes the grant and every code and token of it, and nothing of another grant', async () => {
      const { keys } = world();
      const before = await keys.snapshot();
      const [revoked, kept] = [newId(), newId()];
      const revokedIds = await grant(revoked, 'uid-plain');
      const keptIds = await grant(kept, 'uid-plain');
      expect(await keys.tagsWrittenSince(before)).toEqual(['t:alpha']);
      await model('AccessToken').revokeByGrantId(revoked);
      for (const [name, id] of Object.entries(revokedIds)) expect(await model(name).find(id)).toBeUndefined();
      expect(await model('Grant').find(revoked)).toBeUndefined();
      for (const [name, id] of Object.entries(keptIds)) expect(await model(name).find(id)).toMatchObject({ grantId: kept });
      // Nothing of the revoked grant is left behind: only the kept grant's records (and its index) remain.
      expect((await keys.allShaped()).filter((k) => !before.has(k))).toHaveLength(5);
    });

    it('a consumed code stays consumed, with the expiry it was stored with', async () => {
      const { redis, prefix, keys } = world();
      const before = await keys.snapshot();
      const code = newId();
      await model('AuthorizationCode').upsert(code, { accountId: 'id-john', clientId: 'web', grantId: newId() }, 600);
      await model('AuthorizationCode').consume(code);
      expect(await model('AuthorizationCode').find(code)).toMatchObject({ consumed: clock.now() / 1000, accountId: 'id-john' });
      clock.advance(60_000);
      await model('AuthorizationCode').consume(code);
      expect((await model('AuthorizationCode').find(code))?.consumed).toBeTruthy();
      const ttl = await redis.pttl(oidcKey(prefix, 'alpha', 'AuthorizationCode', code));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600_000);
      // Consuming a code that is not stored creates nothing.
      const unknown = newId();
      await model('AuthorizationCode').consume(unknown);
      expect(await model('AuthorizationCode').find(unknown)).toBeUndefined();
      expect(await keys.tagsWrittenSince(before)).toEqual(['t:alpha']);
    });

    it('finds a session by its id and by its uid until it is destroyed', async () => {
      const { keys } = world();
      const before = await keys.snapshot();
      const [id, uid] = [newId(), randomUUID()];
      await model('Session').upsert(id, { uid, accountId: 'id-john', loginTs: 1 }, 3600);
      expect(await model('Session').find(id)).toMatchObject({ jti: id, uid, accountId: 'id-john' });
      expect(await model('Session').findByUid(uid)).toMatchObject({ uid, accountId: 'id-john' });
      expect(await keys.tagsWrittenSince(before)).toEqual(['t:alpha']);
      await model('Session').destroy(id);
      expect(await model('Session').find(id)).toBeUndefined();
      expect(await model('Session').findByUid(uid)).toBeUndefined();
    });

    it('keeps an interaction by its id, without the session cookie it carries', async () => {
      const { keys } = world();
      const before = await keys.snapshot();
      const [id, cookie] = [newId(), newId()];
      const session = { uid: 'uid-plain', cookie, accountId: 'id-john' };
      await model('Interaction').upsert(id, { uid: id, grantId: newId(), prompt: { name: 'login' }, params: { client_id: 'web' }, session }, 600);
      const found = await model('Interaction').find(id);
      expect(found).toMatchObject({ jti: id, prompt: { name: 'login' }, session: { uid: 'uid-plain', accountId: 'id-john' } });
      expect(found?.session).not.toHaveProperty('cookie');
      expect(await keys.tagsWrittenSince(before)).toEqual(['t:alpha']);
      await model('Interaction').destroy(id);
      expect(await model('Interaction').find(id)).toBeUndefined();
    });

    it("a token of a support session extends the session's mark in the same write, and is not found once the support user may no longer enter", async () => {
      const { redis, prefix, keys } = world();
      const sessionUid = randomUUID();
      // The mark's support user does not exist in the management tenant: may-enter says no.
      await sessions().save({ tenant: 'alpha', sessionUid, actor: { id: randomUUID(), username: 'ghost' }, target: { id: 'id-john', username: 'john' }, until: null, startedAt: clock.now() });
      const before = await keys.snapshot();
      const token = newId();
      await model('AccessToken').upsert(token, { accountId: 'id-john', clientId: 'web', grantId: newId(), sessionUid }, 20 * DAY_S);
      expect(await redis.ttl(supportMarkKey(prefix, 'alpha', sessionUid))).toBeGreaterThan(Math.max(20 * DAY_S, LONGEST_DERIVED_TTL_S));
      const stored = JSON.parse((await redis.get(oidcKey(prefix, 'alpha', 'AccessToken', token)))!) as { sg?: { sessionUid: string } };
      expect(stored.sg?.sessionUid).toBe(sessionUid);
      expect(await model('AccessToken').find(token)).toBeUndefined();
      expect(denied).toEqual([sessionUid]);
      expect(await keys.tagsWrittenSince(before)).toEqual(['t:alpha']);
    });

    it('the session revoker ends a stored session and every grant it authorized, from outside any request', async () => {
      const { redis, prefix, keys } = world();
      const before = await keys.snapshot();
      const [id, uid, grantId] = [newId(), randomUUID(), newId()];
      const ids = await grant(grantId, uid);
      await model('Session').upsert(id, { uid, accountId: 'id-john', authorizations: { web: { grantId } } }, 3600);
      expect(await keys.tagsWrittenSince(before)).toEqual(['t:alpha']);
      const revoker = new OidcSessionRevoker(redis, prefix);
      expect(await revoker.stampOf('alpha', uid)).toBeNull();
      expect(await revoker.revoke('alpha', uid)).toEqual({ grants: 1 });
      expect(await model('Session').findByUid(uid)).toBeUndefined();
      for (const [name, tokenId] of Object.entries(ids)) expect(await model(name).find(tokenId)).toBeUndefined();
      expect((await keys.allShaped()).filter((k) => !before.has(k))).toEqual([]);
    });
  });
}
