import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock.js';
import { AppError } from '../../src/errors.js';
import { CachedTenantStore, TENANT_FRESH_MS, TENANT_STALE_LIMIT_MS } from '../../src/tenants/tenant-cache.js';
import type { Tenant, TenantStore } from '../../src/tenants/tenants.js';

/** The registry as the cache sees it: records, a count of reads, and a switch that makes reads fail. */
class Registry implements TenantStore {
  readonly records = new Map<string, Tenant>();
  reads = 0;
  failure: Error | null = null;

  async get(id: string): Promise<Tenant | null> {
    this.reads++;
    if (this.failure) throw this.failure;
    return this.records.get(id) ?? null;
  }
  async create(tenant: Tenant): Promise<void> {
    this.records.set(tenant.id, tenant);
  }
  async update(id: string, mutate: (tenant: Tenant) => Tenant): Promise<Tenant> {
    const next = mutate(this.records.get(id)!);
    this.records.set(id, next);
    return next;
  }
  async remove(tenant: Tenant): Promise<void> {
    this.records.delete(tenant.id);
  }
  domainReads = 0;
  async findByDomain(domain: string): Promise<Tenant | null> {
    this.domainReads++;
    return [...this.records.values()].find((t) => t.domains.includes(domain)) ?? null;
  }
  async list(): Promise<Tenant[]> {
    return [...this.records.values()];
  }
}

// What ioredis says while the registry's master is away (see toAppError).
const outage = () => new Error('Connection is closed.');
const acme: Tenant = { id: 'acme', name: 'ACME', domains: [], status: 'active', createdAt: '2026-01-01T00:00:00.000Z' };

function setup() {
  const clock = new ManualClock();
  const registry = new Registry();
  registry.records.set('acme', acme);
  return { clock, registry, cache: new CachedTenantStore(registry, clock) };
}

describe('the per-process tenant cache', () => {
  it('reads a tenant from the registry at most once a second', async () => {
    const { clock, registry, cache } = setup();
    await cache.get('acme');
    await cache.get('acme');
    expect(registry.reads).toBe(1);
    clock.advance(TENANT_FRESH_MS);
    await cache.get('acme');
    expect(registry.reads).toBe(2);
  });

  it('sees a suspension at once when the event arrives, and when this process wrote it', async () => {
    const { registry, cache } = setup();
    await cache.get('acme');
    registry.records.set('acme', { ...acme, status: 'suspended' });
    cache.onEvent({ type: 'tenant.changed', tenant: 'acme' });
    expect((await cache.get('acme'))?.status).toBe('suspended');
    await cache.update('acme', (t) => ({ ...t, status: 'active' }));
    expect((await cache.get('acme'))?.status).toBe('active');
    cache.onEvent({ type: 'tenant.suspended', tenant: 'acme' });
    registry.records.set('acme', { ...acme, status: 'suspended' });
    expect((await cache.get('acme'))?.status).toBe('suspended');
  });

  it('keeps a tenant signing in while the registry cannot be read, for at most 30 s after its last good read', async () => {
    const { clock, registry, cache } = setup();
    await cache.get('acme');
    registry.failure = outage();
    clock.advance(TENANT_FRESH_MS);
    expect(await cache.get('acme')).toEqual(acme);
    clock.advance(TENANT_STALE_LIMIT_MS - TENANT_FRESH_MS);
    expect(await cache.get('acme')).toEqual(acme);
    clock.advance(1);
    await expect(cache.get('acme')).rejects.toThrow('Connection is closed.');
    registry.failure = null;
    expect(await cache.get('acme')).toEqual(acme);
  });

  it('tries the failing registry again at most once a second meanwhile', async () => {
    const { clock, registry, cache } = setup();
    await cache.get('acme');
    registry.failure = outage();
    clock.advance(TENANT_FRESH_MS);
    await cache.get('acme');
    await cache.get('acme');
    expect(registry.reads).toBe(2);
    clock.advance(1000);
    await cache.get('acme');
    expect(registry.reads).toBe(3);
  });

  it('never serves a record an event dropped, outage or not: the request is refused instead', async () => {
    const { registry, cache } = setup();
    await cache.get('acme');
    cache.onEvent({ type: 'tenant.suspended', tenant: 'acme' });
    registry.failure = outage();
    await expect(cache.get('acme')).rejects.toThrow('Connection is closed.');
  });

  it('falls back only on a store outage: any other failure is passed on', async () => {
    const { clock, registry, cache } = setup();
    await cache.get('acme');
    clock.advance(TENANT_FRESH_MS);
    registry.failure = new SyntaxError('Unexpected token');
    await expect(cache.get('acme')).rejects.toThrow('Unexpected token');
    registry.failure = new AppError('STORE_UNAVAILABLE', undefined, { params: { reason: 'test' } });
    expect(await cache.get('acme')).toEqual(acme);
  });

  it('remembers an unknown tenant for a second too, and forgets it when one is created', async () => {
    const { registry, cache } = setup();
    expect(await cache.get('zeta')).toBeNull();
    await cache.create({ ...acme, id: 'zeta' });
    expect((await cache.get('zeta'))?.id).toBe('zeta');
    expect(registry.reads).toBe(2);
  });

  it('shares one registry read among requests arriving together', async () => {
    const { registry, cache } = setup();
    await Promise.all([cache.get('acme'), cache.get('acme'), cache.get('acme')]);
    expect(registry.reads).toBe(1);
  });

  it('keeps which tenant a host selects for TENANT_FRESH_MS, and forgets it with any change of a tenant', async () => {
    const { clock, registry, cache } = setup();
    registry.records.set('acme', { ...acme, domains: ['acme.example.com'] });
    expect((await cache.findByDomain('ACME.example.com'))?.id).toBe('acme');
    expect((await cache.findByDomain('acme.example.com'))?.id).toBe('acme');
    expect(await cache.findByDomain('nobody.example.com')).toBeNull();
    expect(await cache.findByDomain('nobody.example.com')).toBeNull();
    expect(registry.domainReads).toBe(2);
    // A suspension reaches the record at once, though the domain is still known.
    registry.records.set('acme', { ...registry.records.get('acme')!, status: 'suspended' });
    cache.onEvent({ type: 'tenant.suspended', tenant: 'acme' });
    expect((await cache.findByDomain('acme.example.com'))?.status).toBe('suspended');
    expect(registry.domainReads).toBe(3); // dropped with the event
    clock.advance(TENANT_FRESH_MS);
    await cache.findByDomain('nobody.example.com');
    expect(registry.domainReads).toBe(4);
  });
});
