import { AppError } from '../errors.js';
import type { RedisClient } from '../redis/client.js';
import { globalKey } from '../redis/keys.js';
import { Script, updateJson } from '../redis/script.js';
import type { Tenant, TenantStore } from './tenants.js';

// The registry of tenants is global (one `{g}` slot): creating a tenant and claiming its domains
// is then one atomic script. Per-tenant data lives under the tenant's own tag elsewhere.
const keys = {
  tenant: (p: string, id: string) => globalKey(p, 'tenant', id),
  all: (p: string) => globalKey(p, 'tenants'),
  domain: (p: string, d: string) => globalKey(p, 'domain', d),
};

// KEYS: tenant, index, domain keys... ARGV: json, score, id
const createScript = new Script(
  'tenant-create',
  `if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
   for i = 3, #KEYS do
     if redis.call('EXISTS', KEYS[i]) == 1 then return 'domain:' .. (i - 2) end
   end
   redis.call('SET', KEYS[1], ARGV[1])
   redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
   for i = 3, #KEYS do redis.call('SET', KEYS[i], ARGV[3]) end
   return 'ok'`,
);

// KEYS: tenant, index, domain keys... ARGV: id. Domain keys are released only if still this tenant's.
const removeScript = new Script(
  'tenant-remove',
  `redis.call('DEL', KEYS[1])
   redis.call('ZREM', KEYS[2], ARGV[1])
   for i = 3, #KEYS do
     if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
   end
   return 1`,
);

export class RedisTenantStore implements TenantStore {
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  async create(tenant: Tenant): Promise<void> {
    const p = this.prefix;
    const result = await createScript.run(
      this.redis,
      [keys.tenant(p, tenant.id), keys.all(p), ...tenant.domains.map((d) => keys.domain(p, d))],
      [JSON.stringify(tenant), Date.parse(tenant.createdAt), tenant.id],
    );
    if (result === 'exists') throw new AppError('TENANT_EXISTS', undefined, { params: { tenant: tenant.id } });
    if (typeof result === 'string' && result.startsWith('domain:')) {
      const domain = tenant.domains[Number(result.slice(7)) - 1];
      throw new AppError('DOMAIN_TAKEN', undefined, { params: { domain: String(domain) } });
    }
  }

  async get(id: string): Promise<Tenant | null> {
    const raw = await this.redis.get(keys.tenant(this.prefix, id));
    return raw === null ? null : (JSON.parse(raw) as Tenant);
  }

  async findByDomain(domain: string): Promise<Tenant | null> {
    const id = await this.redis.get(keys.domain(this.prefix, domain.toLowerCase()));
    return id === null ? null : this.get(id);
  }

  async list(): Promise<Tenant[]> {
    const ids = await this.redis.zrange(keys.all(this.prefix), '0', '-1');
    if (ids.length === 0) return [];
    // One slot ({g}), so MGET is safe on a cluster.
    const raws = await this.redis.mget(...ids.map((id) => keys.tenant(this.prefix, id)));
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as Tenant);
  }

  async remove(tenant: Tenant): Promise<void> {
    const p = this.prefix;
    await removeScript.run(this.redis, [keys.tenant(p, tenant.id), keys.all(p), ...tenant.domains.map((d) => keys.domain(p, d))], [tenant.id]);
  }

  update(id: string, mutate: (tenant: Tenant) => Tenant): Promise<Tenant> {
    return updateJson(this.redis, keys.tenant(this.prefix, id), (raw) => JSON.parse(raw) as Tenant, (current) => {
      if (!current) throw new AppError('TENANT_NOT_FOUND', undefined, { params: { tenant: id } });
      const next = mutate(current);
      // The id and the domains have index keys of their own, written only by create and remove.
      if (next.id !== current.id || next.domains.join() !== current.domains.join()) throw new Error('a tenant update cannot change its id or domains');
      return next;
    });
  }
}
