import type { Admin } from '../../src/admin/index.js';
import { operatorAdmin } from '../../src/admin/index.js';
import type { Domain } from '../../src/domain.js';
import type { AccessEvent } from '../../src/events.js';
import { ensureManagementTenant } from '../../src/tenants/tenants.js';
import { openDomain, testConfig } from './env.js';

/** A domain on the shared Redis (own prefix) with the management tenant, an operator's admin, and every event it publishes. */
export interface TenantAdminWorld {
  domain: Domain;
  ops: Admin;
  events: AccessEvent[];
  close(): Promise<void>;
}

export async function tenantAdminWorld(name: string): Promise<TenantAdminWorld> {
  const { domain, close } = await openDomain(testConfig(name));
  await ensureManagementTenant(domain.tenants, domain.clock);
  const events: AccessEvent[] = [];
  const unsubscribe = await domain.events.subscribe((e) => events.push(e));
  return {
    domain,
    ops: operatorAdmin(domain, { who: 'cli:tester', actor: null, channel: 'cli' }),
    events,
    close: async () => {
      await unsubscribe();
      await close();
    },
  };
}
