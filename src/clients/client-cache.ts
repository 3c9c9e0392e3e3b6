import type { Clock } from '../clock.js';
import type { AccessEvent } from '../events.js';
import type { ClientRecord, ClientStore } from './clients.js';

/** How long a client record is used without reading it again (as tenant records, see tenant-cache). */
export const CLIENT_FRESH_MS = 1000;
const MAX_ENTRIES = 10_000;
/** The shape every registered client id has (see createClient). */
const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * The client registry as one process reads it. A login reads its client four times (authorize,
 * login page, resume, code exchange), each a Redis round trip; here a record is used for at most
 * CLIENT_FRESH_MS, and dropped at once when any process announces a change (`client.changed`:
 * created, redirect URIs changed, secret rotated) or this one writes. Unlike tenants, nothing is
 * served from a record once a read fails: an outage of the client's slot refuses its requests.
 */
export class CachedClientStore implements ClientStore {
  private readonly entries = new Map<string, { client: ClientRecord | null; useUntil: number }>();
  // Bumped by every invalidation: a read that started before one does not store its result.
  private generation = 0;

  constructor(
    private readonly registry: ClientStore,
    private readonly clock: Clock,
  ) {}

  async get(tenant: string, clientId: string): Promise<ClientRecord | null> {
    // No client has such an id (createClient's rule): nothing to read, and nothing kept of what
    // anyone may send as a client_id (up to a request body's size).
    if (!CLIENT_ID.test(clientId)) return null;
    const key = `${tenant}\n${clientId}`;
    const known = this.entries.get(key);
    if (known && this.clock.now() < known.useUntil) return known.client;
    const generation = this.generation;
    const client = await this.registry.get(tenant, clientId);
    if (generation === this.generation) {
      this.entries.delete(key);
      this.entries.set(key, { client, useUntil: this.clock.now() + CLIENT_FRESH_MS });
      // Least recently read out first: unknown ids asked for at random cannot grow it without bound.
      if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    }
    return client;
  }

  /** Drops what this process knows of the client: its next request reads the registry. */
  invalidate(tenant: string, clientId: string): void {
    this.generation++;
    this.entries.delete(`${tenant}\n${clientId}`);
  }

  /** Follows the processes' events: a client changed somewhere (a suspended tenant's clients go too). */
  onEvent(event: AccessEvent): void {
    if (event.type === 'client.changed') this.invalidate(event.tenant, event.clientId);
    if (event.type === 'tenant.suspended') {
      this.generation++;
      for (const key of [...this.entries.keys()]) if (key.startsWith(`${event.tenant}\n`)) this.entries.delete(key);
    }
  }

  list(tenant: string): Promise<ClientRecord[]> {
    return this.registry.list(tenant);
  }

  async create(client: ClientRecord): Promise<void> {
    try {
      await this.registry.create(client);
    } finally {
      this.invalidate(client.tenant, client.clientId);
    }
  }

  async update(tenant: string, clientId: string, mutate: (client: ClientRecord) => ClientRecord): Promise<ClientRecord> {
    try {
      return await this.registry.update(tenant, clientId, mutate);
    } finally {
      this.invalidate(tenant, clientId);
    }
  }

  async remove(tenant: string, clientId: string): Promise<void> {
    try {
      await this.registry.remove(tenant, clientId);
    } finally {
      this.invalidate(tenant, clientId);
    }
  }
}
