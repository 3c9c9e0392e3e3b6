import { Cluster } from 'ioredis';
import type { RedisClient } from '../redis/client.js';
import { tenantKey } from '../redis/keys.js';
import type { SessionRevoker, SupportSession } from '../support-access/sessions.js';
import { revokeGrant, sessionParties, storedSessionByUid, type StoredSessionParties } from './adapter.js';

/** Keys asked for per SCAN step: a sweep never holds the server for long. */
const SCAN_PAGE = 500;

/** A glob pattern matching `text` literally (SCAN MATCH treats `* ? [ ] \` as special). */
const globLiteral = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * The records `revokeTenant` deletes, by the first segment after `oidc:` (see adapter.ts): the
 * models oidc-provider names in PascalCase (Session, Grant, AccessToken, RefreshToken,
 * AuthorizationCode, Interaction..., with their `:uid` and `:userCode` lookups) and the grant
 * index (`grant`). Kept: the support-session marks beside them (`support`, `support-sessions`,
 * `ended`), which the ender needs to record each support session's end whichever process sweeps
 * first, and ReplayDetection, which holds no credential but stops a client assertion being
 * replayed.
 */
function isProviderRecord(segment: string): boolean {
  return segment === 'grant' || (/^[A-Z]/.test(segment) && segment !== 'ReplayDetection');
}

/**
 * Ends a session where oidc-provider keeps it, from any process and without a provider
 * instance: its grants (and so every code and token of them), then the session itself.
 */
export class OidcSessionRevoker implements SessionRevoker {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    /**
     * Told of the sessions a tenant sweep is about to delete, before it does (back-channel logout
     * queues their clients' logouts: backchannel-sessions.ts). A failure stops the sweep's page:
     * the sessions stay until the next sweep, and the suspended issuer refuses them meanwhile.
     */
    private readonly sessionsEnding?: (tenant: string, sessions: StoredSessionParties[]) => Promise<unknown>,
  ) {}

  async stampOf(tenant: string, sessionUid: string): Promise<SupportSession | null> {
    return (await storedSessionByUid(this.redis, this.prefix, tenant, sessionUid))?.stamp ?? null;
  }

  async revoke(tenant: string, sessionUid: string): Promise<{ grants: number }> {
    const stored = await storedSessionByUid(this.redis, this.prefix, tenant, sessionUid);
    if (!stored) return { grants: 0 };
    for (const grantId of stored.grantIds) await revokeGrant(this.redis, this.prefix, tenant, grantId);
    await this.redis.del(...stored.keys);
    return { grants: stored.grantIds.length };
  }

  /**
   * Deletes every oidc-provider record of a tenant. The records are stored under digests and
   * indexed only per grant, so they are found by SCAN (never KEYS, which blocks the server) with
   * MATCH on the tenant's `{t:<tenant>}:oidc:` prefix. On a cluster SCAN reads one node: the
   * tenant is one hash tag, so one slot on one master, but every master is scanned (a slot being
   * migrated has keys on two). Deletes go through the client, which routes them to the slot.
   */
  async revokeTenant(tenant: string): Promise<number> {
    const base = `${tenantKey(this.prefix, tenant, 'oidc')}:`;
    const pattern = `${globLiteral(base)}*`;
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    let removed = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_PAGE);
        cursor = next;
        const doomed = keys.filter((k) => isProviderRecord(k.slice(base.length).split(':')[0]!));
        if (this.sessionsEnding) {
          // Session records themselves (`Session:<digest>`, not their `Session:uid:` lookups).
          const sessionKeys = doomed.filter((k) => k.slice(base.length).split(':').length === 2 && k.slice(base.length).startsWith('Session:'));
          const raws = sessionKeys.length > 0 ? await this.redis.mget(...sessionKeys) : [];
          const sessions = raws.filter((r): r is string => r !== null).map(sessionParties);
          if (sessions.length > 0) await this.sessionsEnding(tenant, sessions);
        }
        // One tag, one slot: a multi-key DEL is allowed on a cluster.
        if (doomed.length > 0) removed += await this.redis.del(...doomed);
      } while (cursor !== '0');
    }
    return removed;
  }
}
