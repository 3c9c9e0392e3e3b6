import type Provider from 'oidc-provider';
import type { Clock } from '../clock.js';
import type { TenantStore } from '../tenants/tenants.js';

/**
 * One provider per tenant, built on first use and kept in a bounded pool (least recently used
 * out first): an issuer is not meant to change at run time (oidc-provider #89/#95), and a
 * provider costs tens of kilobytes.
 */
export class ProviderPool {
  private readonly providers = new Map<string, { provider: Provider; handler: ReturnType<Provider['callback']> }>();
  // Tenant status is looked up at most once a second per process: a suspension takes effect
  // within a second, and a busy issuer does not read its tenant record on every request.
  private readonly status = new Map<string, { active: boolean; until: number }>();

  constructor(
    private readonly tenants: TenantStore,
    private readonly clock: Clock,
    private readonly build: (tenant: string) => Provider,
    private readonly max = 500,
  ) {}

  /** The tenant's provider and its request handler, or null for a tenant that does not exist or is suspended. */
  async get(tenant: string): Promise<{ provider: Provider; handler: ReturnType<Provider['callback']> } | null> {
    if (!/^[a-z][a-z0-9-]{1,62}$/.test(tenant)) return null;
    const now = this.clock.now();
    let known = this.status.get(tenant);
    if (!known || known.until <= now) {
      const record = await this.tenants.get(tenant);
      known = { active: record?.status === 'active', until: now + 1000 };
      this.status.set(tenant, known);
      if (this.status.size > this.max * 4) this.status.clear();
    }
    if (!known.active) return null;
    let entry = this.providers.get(tenant);
    if (entry) {
      this.providers.delete(tenant);
    } else {
      const provider = this.build(tenant);
      entry = { provider, handler: provider.callback() };
    }
    this.providers.set(tenant, entry);
    if (this.providers.size > this.max) this.providers.delete(this.providers.keys().next().value!);
    return entry;
  }

  get size(): number {
    return this.providers.size;
  }
}
