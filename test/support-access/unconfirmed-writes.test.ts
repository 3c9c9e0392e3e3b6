import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { operatorAdmin, type Admin } from '../../src/admin/index.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { RedisAuditStore } from '../../src/audit/redis-audit-store.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createDomain, type Domain } from '../../src/domain.js';
import { ensureManagementTenant } from '../../src/tenants/tenants.js';
import { loadKeyMaterial } from '../../src/secrets/keys.js';
import { openRedis, testConfig } from '../support/env.js';
import type { RedisClient } from '../../src/redis/client.js';

/**
 * REDIS_REPLICA_ACKS=1 against the shared Redis, which has no replica: every wait for one times
 * out, so every write is "written on the master, not confirmed". What stands afterwards must be
 * what fails closed, and the audit chain must not say what did not happen (review of issue 14).
 */
describe('writes a replica did not confirm (REDIS_REPLICA_ACKS)', () => {
  let config: Config;
  let redis: RedisClient;
  let plain: Domain;
  let ops: Admin;
  const who = { who: 'cli:test', actor: null, channel: 'cli' as const };

  const withAcks = (parts: 'all' | 'audit only'): Admin => {
    const acks = { replicas: 1, timeoutMs: 100 };
    if (parts === 'all') {
      const c = loadConfig({ env: { NODE_ENV: 'test', REDIS_URL: config.redis.url, REDIS_PREFIX: config.redis.prefix, DATA_DIR: config.dataDir, REDIS_REPLICA_ACKS: '1', REDIS_REPLICA_ACK_TIMEOUT_MS: '100' } });
      return operatorAdmin(createDomain(c, redis, keysOf), who);
    }
    // The window's write is confirmed (no wait), the audit entry's is not.
    return operatorAdmin({ ...plain, audit: new AuditLog(new RedisAuditStore(redis, config.redis.prefix, acks), plain.clock, undefined) }, who);
  };
  let keysOf: string[] = [];

  beforeAll(async () => {
    config = testConfig('unconfirmed');
    redis = await openRedis(config);
    keysOf = (await loadKeyMaterial(config)).clientSecretsKey;
    plain = createDomain(config, redis, keysOf);
    await ensureManagementTenant(plain.tenants, plain.clock);
    ops = operatorAdmin(plain, who);
    await ops.createTenant({ id: 'acme' });
    await ops.createUser({ tenant: 'acme', username: 'john', password: 'john-secret-pw' });
  });
  // Each case starts from a shut window, whatever the case before it left.
  beforeEach(async () => {
    if ((await openNow()).length > 0) await ops.closeSupport({ tenant: 'acme', username: 'john' });
  });
  afterAll(async () => {
    await plain.audit.whenIdle();
    await redis.quit();
  });

  /** The open requests of acme's window, if the window is open now. */
  const openNow = async () => {
    const w = await plain.windows.read('acme');
    return w.end !== null && w.end > plain.clock.now() ? w.requests.filter((r) => !r.closedAt) : [];
  };

  it('an opening nobody confirmed is taken back: 503, and support stays shut', async () => {
    await expect(withAcks('all').openSupport({ tenant: 'acme', username: 'john', hours: 2 })).rejects.toMatchObject({ key: 'STORE_UNCONFIRMED', status: 503 });
    expect(await openNow()).toEqual([]);
  });

  it('a closing whose audit entry nobody confirmed stays closed (no undo reopens it), and the chain says it closed', async () => {
    await ops.openSupport({ tenant: 'acme', username: 'john', hours: 2 });
    expect(await openNow()).toHaveLength(1);
    const refused = await withAcks('audit only').closeSupport({ tenant: 'acme', username: 'john' }).then(() => null, (err: unknown) => err);
    expect(await openNow()).toEqual([]);
    expect(refused).toMatchObject({ key: 'STORE_UNCONFIRMED', status: 503 });
    const head = await plain.auditStore.head('acme');
    const [last] = await plain.auditStore.newest('acme', '+', '-', 1);
    expect(head.seq).toBeGreaterThan(0);
    expect(JSON.parse(last!.json)).toMatchObject({ action: 'support.request.closed', outcome: 'success' });
  });

  it('a closing whose window write nobody confirmed stays closed too (narrowing access is never taken back)', async () => {
    await ops.openSupport({ tenant: 'acme', username: 'john', hours: 2 });
    await expect(withAcks('all').closeSupport({ tenant: 'acme', username: 'john' })).rejects.toMatchObject({ key: 'STORE_UNCONFIRMED' });
    expect(await openNow()).toEqual([]);
  });
});
