import type { RedisClient } from '../redis/client.js';
import { tenantKey } from '../redis/keys.js';
import { updateJson } from '../redis/script.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import type { Settings, SettingsStore } from './settings.js';

// One JSON record per tenant's slot (management's holds the global settings): cross-field rules
// (requestHours ≤ max) are checked on the whole record and written with compare-and-set.
const settingsKey = (p: string, tenant: string) => tenantKey(p, tenant, 'settings');

export class RedisSettingsStore implements SettingsStore {
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  async read(tenant: string = MANAGEMENT_TENANT): Promise<Partial<Settings>> {
    const raw = await this.redis.get(settingsKey(this.prefix, tenant));
    return raw === null ? {} : (JSON.parse(raw) as Partial<Settings>);
  }

  update(mutate: (current: Partial<Settings>) => Partial<Settings>, tenant: string = MANAGEMENT_TENANT): Promise<Partial<Settings>> {
    return updateJson(this.redis, settingsKey(this.prefix, tenant), (raw) => JSON.parse(raw) as Partial<Settings>, (cur) => mutate(cur ?? {}));
  }
}
