import type { RedisClient } from '../redis/client.js';
import type { SessionRevoker, SupportSession } from '../support-access/sessions.js';
import { revokeGrant, storedSessionByUid } from './adapter.js';

/**
 * Ends a session where oidc-provider keeps it, from any process and without a provider
 * instance: its grants (and so every code and token of them), then the session itself.
 */
export class OidcSessionRevoker implements SessionRevoker {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
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
}
