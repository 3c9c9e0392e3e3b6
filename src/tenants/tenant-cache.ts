import type { Clock } from '../clock.js';
import { toAppError } from '../errors.js';
import type { AccessEvent } from '../events.js';
import type { Tenant, TenantStore } from './tenants.js';

/** How long a tenant record read from the registry is used without reading it again. */
export const TENANT_FRESH_MS = 1000;
/**
 * How old the last known record may be and still be used while the registry cannot be read (its
 * `{g}` master failing over): tenants on healthy masters keep signing in. After this the tenant's
 * requests are refused (503) until the registry answers again.
 */
export const TENANT_STALE_LIMIT_MS = 30_000;
/** After a failed read, the last known record is used this long before the registry is tried again. */
const RETRY_AFTER_FAILURE_MS = 1000;
const MAX_ENTRIES = 10_000;

interface Entry {
  tenant: Tenant | null;
  /** When the registry last answered for it. */
  readAt: number;
  /** Until then the entry is used as it is (fresh, or backing off after a failed read). */
  useUntil: number;
}

/**
 * The tenant registry as one process reads it: every issuer request needs its tenant's record,
 * and the registry lives in one slot (`{g}`), so without a cache one master's failover would stop
 * every tenant. Records are read again after TENANT_FRESH_MS, and dropped at once when any
 * process announces a change (`tenant.changed` / `tenant.suspended`) or this one writes.
 *
 * Stale-while-error, bounded: only when a read *fails* with a store outage is the last known
 * record used, and only while it is at most TENANT_STALE_LIMIT_MS old. A record dropped by an
 * event is never used again, so a suspension that reached this process is never undone by an
 * outage. Domain lookups are kept the same way (fresh for TENANT_FRESH_MS, dropped by any
 * invalidation); `list` and all writes go straight to the registry.
 */
export class CachedTenantStore implements TenantStore {
  private readonly entries = new Map<string, Entry>();
  // One read per tenant at a time: requests arriving together share it (and its failure).
  private readonly reads = new Map<string, Promise<Tenant | null>>();
  /** Which tenant each host name asked for selects (null: none), read at most TENANT_FRESH_MS ago. */
  private readonly domains = new Map<string, { id: string | null; useUntil: number }>();
  // Bumped by every invalidation: a read that started before one does not store its result.
  private generation = 0;

  constructor(
    private readonly registry: TenantStore,
    private readonly clock: Clock,
  ) {}

  async get(id: string): Promise<Tenant | null> {
    const now = this.clock.now();
    const known = this.entries.get(id);
    if (known && now < known.useUntil) return known.tenant;
    try {
      return await this.read(id);
    } catch (err) {
      // (Still the entry it was: one an event dropped meanwhile is not brought back.)
      if (!known || this.entries.get(id) !== known || now - known.readAt > TENANT_STALE_LIMIT_MS || toAppError(err).code !== 'STORE_UNAVAILABLE') throw err;
      known.useUntil = Math.min(now + RETRY_AFTER_FAILURE_MS, known.readAt + TENANT_STALE_LIMIT_MS);
      return known.tenant;
    }
  }

  /** Drops what this process knows of the tenant: its next request reads the registry. */
  invalidate(id: string): void {
    this.generation++;
    this.entries.delete(id);
    this.reads.delete(id);
    // Which domains were the tenant's is not known here; a change of any tenant is rare.
    this.domains.clear();
  }

  /** Follows the processes' events: a tenant record changed somewhere. */
  onEvent(event: AccessEvent): void {
    if (event.type === 'tenant.changed' || event.type === 'tenant.suspended') this.invalidate(event.tenant);
  }

  create(tenant: Tenant): Promise<void> {
    return this.writing(tenant.id, () => this.registry.create(tenant));
  }

  update(id: string, mutate: (tenant: Tenant) => Tenant): Promise<Tenant> {
    return this.writing(id, () => this.registry.update(id, mutate));
  }

  remove(tenant: Tenant): Promise<void> {
    return this.writing(tenant.id, () => this.registry.remove(tenant));
  }

  /**
   * The tenant a host name selects (forward-auth asks for every request it decides). Which tenant
   * a domain belongs to is kept like the records, for TENANT_FRESH_MS and dropped with any
   * invalidation; the record itself then comes from `get`, so a suspension shows at once.
   */
  async findByDomain(domain: string): Promise<Tenant | null> {
    const name = domain.toLowerCase();
    const known = this.domains.get(name);
    let id: string | null;
    if (known && this.clock.now() < known.useUntil) id = known.id;
    else {
      const generation = this.generation;
      id = (await this.registry.findByDomain(name))?.id ?? null;
      if (generation === this.generation) {
        this.domains.delete(name);
        this.domains.set(name, { id, useUntil: this.clock.now() + TENANT_FRESH_MS });
        if (this.domains.size > MAX_ENTRIES) this.domains.delete(this.domains.keys().next().value!);
      }
    }
    return id === null ? null : this.get(id);
  }

  list(): Promise<Tenant[]> {
    return this.registry.list();
  }

  private read(id: string): Promise<Tenant | null> {
    let reading = this.reads.get(id);
    if (!reading) {
      const generation = this.generation;
      reading = this.registry.get(id).then((tenant) => {
        if (generation === this.generation) this.remember(id, tenant);
        return tenant;
      });
      const started = reading;
      const done = () => {
        if (this.reads.get(id) === started) this.reads.delete(id);
      };
      started.then(done, done);
      this.reads.set(id, started);
    }
    return reading;
  }

  private remember(id: string, tenant: Tenant | null): void {
    const now = this.clock.now();
    this.entries.delete(id);
    this.entries.set(id, { tenant, readAt: now, useUntil: now + TENANT_FRESH_MS });
    // Least recently read out first: unknown ids asked for at random cannot grow it without bound.
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  private async writing<T>(id: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      this.invalidate(id);
    }
  }
}
