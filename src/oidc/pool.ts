import type Provider from 'oidc-provider';
import type { TenantStore } from '../tenants/tenants.js';

/**
 * One provider per tenant, built on first use and kept in a bounded pool (least recently used
 * out first): an issuer is not meant to change at run time (oidc-provider #89/#95), and a
 * provider costs tens of kilobytes.
 */
export class ProviderPool {
  private readonly providers = new Map<string, Provider>();

  constructor(
    private readonly tenants: TenantStore,
    private readonly build: (tenant: string) => Provider,
    private readonly max = 500,
  ) {}

  /** The tenant's provider, or null for a tenant that does not exist or is suspended. */
  async get(tenant: string): Promise<Provider | null> {
    if (!/^[a-z][a-z0-9-]{1,62}$/.test(tenant)) return null;
    const record = await this.tenants.get(tenant);
    if (!record || record.status !== 'active') return null;
    let provider = this.providers.get(tenant);
    if (provider) {
      this.providers.delete(tenant);
    } else {
      provider = this.build(tenant);
    }
    this.providers.set(tenant, provider);
    if (this.providers.size > this.max) this.providers.delete(this.providers.keys().next().value!);
    return provider;
  }

  get size(): number {
    return this.providers.size;
  }
}
