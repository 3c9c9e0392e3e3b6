import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster } from 'ioredis';
import { tenantKey } from '../../src/redis/keys.js';
import { compareAndSet } from '../../src/redis/script.js';
import { clusterConfig } from '../support/env.js';
import { startRedisCluster, type RedisClusterProcesses } from '../support/redis-server.js';
import { describeStoreContract } from './contract.js';

let cluster: RedisClusterProcesses;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);
afterAll(async () => cluster?.stop());

describe('the test cluster', () => {
  it('refuses a script whose keys span two tenants, so a cross-slot operation in the stores fails the contract run', async () => {
    const [host, port] = cluster.nodes[0]!.split(':');
    const redis = new Cluster([{ host: host!, port: Number(port) }]);
    try {
      // Two tenants whose tags hash to different slots.
      const a = tenantKey('sgcheck:', 'acme', 'x');
      const b = tenantKey('sgcheck:', 'beta', 'x');
      await expect(redis.eval("return redis.call('GET', KEYS[2])", 2, a, b)).rejects.toThrow(/CROSSSLOT|same slot|slots allocation/i);
      await expect(compareAndSet.run(redis, [a], ['', '1'])).resolves.toBe(1);
      await redis.del(a);
    } finally {
      redis.disconnect();
    }
  });
});

describeStoreContract('a three-node Redis Cluster', () => clusterConfig('stores-cluster', cluster.nodes));
