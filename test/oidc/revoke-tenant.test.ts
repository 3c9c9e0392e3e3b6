import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import type { Domain } from '../../src/domain.js';
import { adapterFor, oidcKey } from '../../src/oidc/adapter.js';
import { OidcSessionRevoker } from '../../src/oidc/revoker.js';
import type { RedisClient } from '../../src/redis/client.js';
import { RedisSupportSessionStore } from '../../src/support-access/redis-support-session-store.js';
import { clusterConfig, openDomain, testConfig } from '../support/env.js';
import { startRedisCluster, type RedisClusterProcesses } from '../support/redis-server.js';

const newId = () => randomBytes(32).toString('base64url');

/** Sweeping a suspended tenant's records, on one Redis and on a cluster (where SCAN reads one node). */
function describeTenantSweep(where: string, config: () => Config): void {
  describe(`deleting every session and token of a suspended tenant (${where})`, () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    let redis: RedisClient;
    let domain: Domain;
    let close: () => Promise<void>;
    let prefix: string;
    beforeAll(async () => {
      const c = config();
      prefix = c.redis.prefix;
      ({ redis, domain, close } = await openDomain(c));
    });
    afterAll(async () => close());

    const models = (tenant: string) => {
      const sessions = new RedisSupportSessionStore(redis, prefix);
      const Adapter = adapterFor({ redis, prefix, tenant, access: { ...domain, clock }, clients: domain.clients, secretBox: domain.secretBox, sessions });
      return (name: string) => new Adapter(name);
    };

    /** A signed-in user as oidc-provider leaves it: session, grant, code, tokens, an interaction. */
    async function signedIn(tenant: string) {
      const model = models(tenant);
      const [sessionId, uid, grantId, interaction, replay] = [newId(), randomUUID(), newId(), newId(), newId()];
      const base = { accountId: 'id-john', clientId: 'app', grantId, sessionUid: uid };
      const tokens = { AccessToken: newId(), RefreshToken: newId(), AuthorizationCode: newId() };
      await model('Session').upsert(sessionId, { uid, accountId: 'id-john', authorizations: { app: { grantId } } }, 3600);
      await model('Grant').upsert(grantId, { accountId: 'id-john', clientId: 'app' }, 3600);
      for (const [name, id] of Object.entries(tokens)) await model(name).upsert(id, { ...base, jti: id }, 3600);
      await model('Interaction').upsert(interaction, { uid: interaction, prompt: { name: 'login' } }, 600);
      await model('ReplayDetection').upsert(replay, { iss: 'app' }, 600);
      const records: [string, string][] = [['Session', sessionId], ['Grant', grantId], ['Interaction', interaction], ...Object.entries(tokens)];
      return { model, uid, records, replay };
    }

    it("deletes the tenant's sessions, grants, codes and tokens, keeps other tenants', and a second run finds nothing", async () => {
      const acme = await signedIn('acme');
      const beta = await signedIn('beta');
      const revoker = new OidcSessionRevoker(redis, prefix);
      expect(await revoker.revokeTenant('acme')).toBeGreaterThanOrEqual(acme.records.length);
      for (const [name, id] of acme.records) expect(await acme.model(name).find(id)).toBeUndefined();
      expect(await acme.model('Session').findByUid(acme.uid)).toBeUndefined();
      for (const [name, id] of beta.records) expect(await beta.model(name).find(id)).toBeDefined();
      expect(await revoker.revokeTenant('acme')).toBe(0);
    });

    it("keeps the support-session marks (the ender records each session's end from them) and replay protection", async () => {
      const sessions = new RedisSupportSessionStore(redis, prefix);
      const acme = await signedIn('acme');
      const mark = { tenant: 'acme', sessionUid: acme.uid, actor: { id: 'id-jill', username: 'jill' }, target: { id: 'id-john', username: 'john' }, until: null, startedAt: clock.now() };
      await sessions.save(mark);
      await new OidcSessionRevoker(redis, prefix).revokeTenant('acme');
      expect(await sessions.get('acme', acme.uid)).toEqual(mark);
      expect(await sessions.inTenant('acme')).toContain(acme.uid);
      expect(await acme.model('ReplayDetection').find(acme.replay)).toBeDefined();
      expect(await acme.model('Session').findByUid(acme.uid)).toBeUndefined();
    });

    it('goes through many pages of keys', async () => {
      const ids = Array.from({ length: 1500 }, newId);
      await Promise.all(ids.map((id) => redis.set(oidcKey(prefix, 'acme', 'AccessToken', id), '{}', 'EX', 600)));
      expect(await new OidcSessionRevoker(redis, prefix).revokeTenant('acme')).toBe(1500);
      expect(await redis.exists(oidcKey(prefix, 'acme', 'AccessToken', ids[0]!), oidcKey(prefix, 'acme', 'AccessToken', ids[1499]!))).toBe(0);
    });
  });
}

describeTenantSweep('one Redis', () => testConfig('revoke-tenant'));

describe('on a three-node Redis Cluster', () => {
  let cluster: RedisClusterProcesses;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => cluster?.stop());
  describeTenantSweep('a three-node Redis Cluster', () => clusterConfig('revoke-tenant-cluster', cluster.nodes));
});
