import { AppError } from '../errors.js';
import type { RedisClient } from '../redis/client.js';
import { tenantKey } from '../redis/keys.js';
import { Script, updateJson } from '../redis/script.js';
import type { ClientRecord, ClientStore } from './clients.js';

const keys = {
  client: (p: string, t: string, id: string) => tenantKey(p, t, 'client', id),
  all: (p: string, t: string) => tenantKey(p, t, 'clients'),
};

// KEYS: client, index. ARGV: json, clientId
const createScript = new Script(
  'client-create',
  `if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
   redis.call('SADD', KEYS[2], ARGV[2])
   return 1`,
);

// KEYS: client, index. ARGV: clientId
const removeScript = new Script(
  'client-remove',
  `redis.call('DEL', KEYS[1])
   redis.call('SREM', KEYS[2], ARGV[1])
   return 1`,
);

export class RedisClientStore implements ClientStore {
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  async create(client: ClientRecord): Promise<void> {
    const p = this.prefix;
    const created = await createScript.run(this.redis, [keys.client(p, client.tenant, client.clientId), keys.all(p, client.tenant)], [JSON.stringify(client), client.clientId]);
    if (created !== 1) throw new AppError('CLIENT_EXISTS', undefined, { params: { clientId: client.clientId, tenant: client.tenant } });
  }

  async get(tenant: string, clientId: string): Promise<ClientRecord | null> {
    const raw = await this.redis.get(keys.client(this.prefix, tenant, clientId));
    return raw === null ? null : (JSON.parse(raw) as ClientRecord);
  }

  /** Compare-and-set on the one record (updateJson): concurrent changes never overwrite each other. */
  update(tenant: string, clientId: string, mutate: (client: ClientRecord) => ClientRecord): Promise<ClientRecord> {
    return updateJson(this.redis, keys.client(this.prefix, tenant, clientId), (raw) => JSON.parse(raw) as ClientRecord, (current) => {
      if (!current) throw new AppError('CLIENT_NOT_IN_TENANT', undefined, { params: { clientId, tenant } });
      return mutate(current);
    });
  }

  async list(tenant: string): Promise<ClientRecord[]> {
    const ids = (await this.redis.smembers(keys.all(this.prefix, tenant))).sort();
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(...ids.map((id) => keys.client(this.prefix, tenant, id)));
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as ClientRecord);
  }

  async remove(tenant: string, clientId: string): Promise<void> {
    await removeScript.run(this.redis, [keys.client(this.prefix, tenant, clientId), keys.all(this.prefix, tenant)], [clientId]);
  }
}
