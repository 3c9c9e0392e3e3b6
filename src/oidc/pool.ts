import type Provider from 'oidc-provider';
import type { TenantStore } from '../tenants/tenants.js';

/**
 * One provider per tenant, built on first use and kept in a bounded pool (least recently used
 * out first): an issuer is not meant to change at run time (oidc-provider #89/#95), and a
 * provider costs tens of kilobytes.
 */
export class ProviderPool {
  private readonly providers = new Map<string, { provider: Provider; handler: ReturnType<Provider['callback']> }>();

  /**
   * `tenants` is asked on every request: give it the process's CachedTenantStore, which reads a
   * record at most once a second (a suspension takes effect within a second, at once where its
   * event arrives) and keeps issuers of healthy slots answering while the registry fails over.
   */
  constructor(
    private readonly tenants: TenantStore,
    private readonly build: (tenant: string) => Provider,
    private readonly max = 500,
  ) {}

  /** The tenant's provider and its request handler, or null for a tenant that does not exist or is suspended. */
  async get(tenant: string): Promise<{ provider: Provider; handler: ReturnType<Provider['callback']> } | null> {
    if (!/^[a-z][a-z0-9-]{1,62}$/.test(tenant)) return null;
    if ((await this.tenants.get(tenant))?.status !== 'active') return null;
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
