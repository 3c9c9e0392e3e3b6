import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock.js';
import { CachedClientStore, CLIENT_FRESH_MS } from '../../src/clients/client-cache.js';
import type { ClientRecord, ClientStore } from '../../src/clients/clients.js';

/** The registry as the cache sees it: records and a count of reads (the Redis store's contract: test/stores). */
class Registry implements ClientStore {
  readonly records = new Map<string, ClientRecord>();
  reads = 0;

  async get(tenant: string, clientId: string): Promise<ClientRecord | null> {
    this.reads++;
    return this.records.get(`${tenant}/${clientId}`) ?? null;
  }
  async create(client: ClientRecord): Promise<void> {
    this.records.set(`${client.tenant}/${client.clientId}`, client);
  }
  async update(tenant: string, clientId: string, mutate: (client: ClientRecord) => ClientRecord): Promise<ClientRecord> {
    const next = mutate(this.records.get(`${tenant}/${clientId}`)!);
    this.records.set(`${tenant}/${clientId}`, next);
    return next;
  }
  async remove(tenant: string, clientId: string): Promise<void> {
    this.records.delete(`${tenant}/${clientId}`);
  }
  async list(tenant: string): Promise<ClientRecord[]> {
    return [...this.records.values()].filter((c) => c.tenant === tenant);
  }
}

const app: ClientRecord = { clientId: 'app', tenant: 'acme', redirectUris: ['https://app.example.com/cb'], postLogoutRedirectUris: [], public: false, firstParty: true, resourceServer: false, sealedSecret: 'v1.old', createdAt: '2026-01-01T00:00:00.000Z' };

function setup() {
  const clock = new ManualClock();
  const registry = new Registry();
  registry.records.set('acme/app', app);
  return { clock, registry, cache: new CachedClientStore(registry, clock) };
}

describe('the per-process client cache', () => {
  it('reads a client once within CLIENT_FRESH_MS, then again', async () => {
    const { clock, registry, cache } = setup();
    expect(await cache.get('acme', 'app')).toEqual(app);
    expect(await cache.get('acme', 'app')).toEqual(app);
    expect(registry.reads).toBe(1);
    clock.advance(CLIENT_FRESH_MS);
    await cache.get('acme', 'app');
    expect(registry.reads).toBe(2);
  });

  it("drops a client at once when another process announces its change (a rotated secret is not used a moment longer)", async () => {
    const { registry, cache } = setup();
    await cache.get('acme', 'app');
    registry.records.set('acme/app', { ...app, sealedSecret: 'v1.new' }); // written by another process
    expect((await cache.get('acme', 'app'))?.sealedSecret).toBe('v1.old');
    cache.onEvent({ type: 'client.changed', tenant: 'acme', clientId: 'app' });
    expect((await cache.get('acme', 'app'))?.sealedSecret).toBe('v1.new');
  });

  it("drops a suspended tenant's clients, and what this process writes", async () => {
    const { registry, cache } = setup();
    await cache.get('acme', 'app');
    cache.onEvent({ type: 'tenant.suspended', tenant: 'acme' });
    await cache.get('acme', 'app');
    expect(registry.reads).toBe(2);
    await cache.update('acme', 'app', (c) => ({ ...c, redirectUris: [] }));
    expect((await cache.get('acme', 'app'))?.redirectUris).toEqual([]);
    expect(registry.reads).toBe(3);
  });

  it('does not keep a read that began before a change was announced', async () => {
    const { registry, cache } = setup();
    const reading = cache.get('acme', 'app'); // in flight...
    registry.records.set('acme/app', { ...app, sealedSecret: 'v1.new' });
    cache.onEvent({ type: 'client.changed', tenant: 'acme', clientId: 'app' }); // ...when the change is announced
    await reading;
    expect((await cache.get('acme', 'app'))?.sealedSecret).toBe('v1.new');
  });
});
