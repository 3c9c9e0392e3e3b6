import { Cluster } from 'ioredis';
import { systemClock, type Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { RedisClient } from './redis/client.js';

/**
 * What the gateway processes tell each other: support access ended or shrank somewhere. Later
 * features end the affected sessions on these; every use of a support token also re-checks
 * may-enter, so an event missed during a disconnect costs nothing but speed.
 */
export type AccessEvent =
  | { type: 'support.window.reduced'; tenant: string; endsAt: number | null; reason: 'closed' | 'expired' }
  | { type: 'support.global.reduced'; until: number | null; reason: 'switched-off' | 'shortened' | 'expired' }
  | { type: 'support.user.reduced'; userId: string; username: string; reason: 'disabled' | 'role-removed' | 'scope-reduced' | 'password-changed' }
  | { type: 'user.disabled'; tenant: string; userId: string; username: string }
  // Every session and token of the tenant ends; its issuer already refuses it within a second.
  | { type: 'tenant.suspended'; tenant: string }
  // A tenant was created or resumed: every process drops its cached record (src/tenants/tenant-cache.ts;
  // a suspension's own event above drops it too).
  | { type: 'tenant.changed'; tenant: string }
  // A client was registered or changed (redirect URIs, secret): every process drops its cached record (src/clients/client-cache.ts).
  | { type: 'client.changed'; tenant: string; clientId: string }
  // Signing keys were rotated for a tenant's issuer, or for every issuer on the platform keys
  // (tenant null): every process rebuilds those issuers from the keyring (src/secrets/signing-keys.ts).
  | { type: 'keys.rotated'; tenant: string | null };

export interface EventBus {
  publish(event: AccessEvent): Promise<void>;
  /**
   * Calls `handler` for every event any process publishes; resolves once listening.
   * `publishedAt` is when it was published (epoch ms by the publisher's clock), null from a
   * publisher that did not say (one older than the stamp).
   */
  subscribe(handler: (event: AccessEvent, publishedAt: number | null) => void): Promise<() => Promise<void>>;
}

/**
 * On the wire an event carries `at`, the publisher's clock when it was published (the event-bus
 * lag, and when a session's access ended). Receivers that predate it ignore the extra field;
 * handlers get the event without it.
 */
type Stamped = AccessEvent & { at?: unknown };

/**
 * Events over Redis pub/sub on one channel under the prefix. Pub/sub (not keyspace
 * notifications) because it needs no server configuration (managed Redis often forbids
 * `notify-keyspace-events`), carries a typed payload, and reaches every node of a cluster.
 */
export class RedisEventBus implements EventBus {
  private readonly channel: string;

  constructor(private readonly redis: RedisClient, prefix: string, private readonly logger?: Logger, private readonly clock: Clock = systemClock) {
    this.channel = `${prefix}events`;
  }

  async publish(event: AccessEvent): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify({ ...event, at: this.clock.now() }));
  }

  async subscribe(handler: (event: AccessEvent, publishedAt: number | null) => void): Promise<() => Promise<void>> {
    // A subscribed connection can do nothing else: it gets its own. Unlike the command
    // connection it queues while connecting, so SUBSCRIBE waits for the connection it opens.
    // (The union of Redis and Cluster has no common call signature for duplicate; narrow it.)
    const sub: RedisClient = this.redis instanceof Cluster ? this.redis.duplicate([], { enableOfflineQueue: true }) : this.redis.duplicate({ enableOfflineQueue: true });
    sub.on('error', () => {
      /* reconnects on its own; the publisher's errors are reported elsewhere */
    });
    sub.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        const { at, ...event } = JSON.parse(message) as Stamped;
        handler(event as AccessEvent, typeof at === 'number' && Number.isFinite(at) ? at : null);
      } catch (err) {
        this.logger?.error(`event handler failed: ${(err as Error).message}`);
      }
    });
    await sub.subscribe(this.channel);
    return async () => {
      await sub.quit().catch(() => sub.disconnect());
    };
  }
}
