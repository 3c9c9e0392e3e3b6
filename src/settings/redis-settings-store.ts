import type { RedisClient } from '../redis/client.js';
import { tenantKey } from '../redis/keys.js';
import { updateJson } from '../redis/script.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import type { Settings, SettingsStore } from './settings.js';

// One JSON record in the management tenant's slot: cross-field rules (requestHours ≤ max) are
// checked on the whole record and written with compare-and-set.
const settingsKey = (p: string) => tenantKey(p, MANAGEMENT_TENANT, 'settings');

export class RedisSettingsStore implements SettingsStore {
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  async read(): Promise<Partial<Settings>> {
    const raw = await this.redis.get(settingsKey(this.prefix));
    return raw === null ? {} : (JSON.parse(raw) as Partial<Settings>);
  }

  update(mutate: (current: Partial<Settings>) => Partial<Settings>): Promise<Partial<Settings>> {
    return updateJson(this.redis, settingsKey(this.prefix), (raw) => JSON.parse(raw) as Partial<Settings>, (cur) => mutate(cur ?? {}));
  }
}
