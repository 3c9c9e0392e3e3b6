import type Provider from 'oidc-provider';
import type { IssuerKeys } from '../secrets/signing-keys.js';
import type { Tenant, TenantStore } from '../tenants/tenants.js';

/**
 * One provider per tenant, built on first use and kept in a bounded pool (least recently used
 * out first): an issuer is not meant to change at run time (oidc-provider #89/#95), and a
 * provider costs tens of kilobytes.
 */
export class ProviderPool {
  private readonly providers = new Map<string, { provider: Provider; handler: ReturnType<Provider['callback']>; keys: string }>();

  /**
   * `tenants` is asked on every request: give it the process's CachedTenantStore, which reads a
   * record at most once a second (a suspension takes effect within a second, at once where its
   * event arrives) and keeps issuers of healthy slots answering while the registry fails over.
   * `keysOf` gives the signing keys the issuer has now (kept per process by SigningKeys): when
   * what they publish or sign with changes (a rotation's stage), the issuer is built anew.
   */
  constructor(
    private readonly tenants: TenantStore,
    private readonly build: (tenant: string, keys: IssuerKeys) => Provider,
    private readonly keysOf: (tenant: Tenant) => Promise<IssuerKeys>,
    private readonly max = 500,
  ) {}

  /** The tenant's provider and its request handler, or null for a tenant that does not exist or is suspended. */
  async get(tenant: string): Promise<{ provider: Provider; handler: ReturnType<Provider['callback']> } | null> {
    if (!/^[a-z][a-z0-9-]{1,62}$/.test(tenant)) return null;
    const record = await this.tenants.get(tenant);
    if (record?.status !== 'active') return null;
    const keys = await this.keysOf(record);
    let entry = this.providers.get(tenant);
    if (entry) this.providers.delete(tenant);
    if (!entry || entry.keys !== keys.version) {
      const provider = this.build(tenant, keys);
      entry = { provider, handler: provider.callback(), keys: keys.version };
    }
    this.providers.set(tenant, entry);
    if (this.providers.size > this.max) this.providers.delete(this.providers.keys().next().value!);
    return entry;
  }

  get size(): number {
    return this.providers.size;
  }
}
