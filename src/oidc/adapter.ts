import type { Domain } from '../domain.js';
import type { RedisClient } from '../redis/client.js';
import { tenantKey } from '../redis/keys.js';
import { Script } from '../redis/script.js';
import { supportStillAllowed, type SupportSessions } from './support-sessions.js';

// oidc-provider's storage for one tenant: every record under the tenant's hash tag, so a grant's
// tokens, its index and their revocation stay in one Redis Cluster slot.
type Payload = Record<string, unknown> & {
  grantId?: string;
  uid?: string;
  userCode?: string;
  sessionUid?: string;
  accountId?: string;
  sg?: { actorId: string };
  extra?: { act?: { sub?: string } };
};

/**
 * The support user behind a stored token, if any. Access tokens carry it in their `act` claim;
 * refresh tokens have no claims of their own, so the adapter marks them (`sg`) when it stores
 * them. (Authorization codes need no mark: exchanging one runs findAccount, which re-checks.)
 */
function supportActorOf(payload: Payload): string | undefined {
  return payload.extra?.act?.sub ?? payload.sg?.actorId;
}
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

// KEYS: record. ARGV: epoch seconds. Marks a code or token consumed, keeping its expiry.
const consumeScript = new Script(
  'oidc-consume',
  `local raw = redis.call('GET', KEYS[1])
   if not raw then return 0 end
   local p = cjson.decode(raw)
   p['consumed'] = tonumber(ARGV[1])
   redis.call('SET', KEYS[1], cjson.encode(p), 'KEEPTTL')
   return 1`,
);

export interface AdapterDeps {
  redis: RedisClient;
  prefix: string;
  tenant: string;
  domain: Domain;
  sessions: SupportSessions;
  /** Called when a support token is found no longer allowed (first use after its access ended). */
  onSupportDenied?: (sessionUid: string | undefined) => void;
}

export type AdapterClass = new (name: string) => {
  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Payload | undefined>;
  findByUid(uid: string): Promise<Payload | undefined>;
  findByUserCode(userCode: string): Promise<Payload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
};

export function oidcKey(prefix: string, tenant: string, model: string, id: string): string {
  return tenantKey(prefix, tenant, 'oidc', model, id);
}

export function grantIndexKey(prefix: string, tenant: string, grantId: string): string {
  return tenantKey(prefix, tenant, 'oidc', 'grant', grantId);
}

/** Revokes every code and token of a grant, from any process (no provider instance needed). */
export async function revokeGrant(redis: RedisClient, prefix: string, tenant: string, grantId: string): Promise<void> {
  const index = grantIndexKey(prefix, tenant, grantId);
  const members = await redis.smembers(index);
  await redis.del(index, oidcKey(prefix, tenant, 'Grant', grantId), ...members);
}

export function adapterFor(deps: AdapterDeps): AdapterClass {
  const { redis, prefix, tenant, domain, sessions } = deps;
  const key = (model: string, id: string) => oidcKey(prefix, tenant, model, id);

  return class RedisOidcAdapter {
    constructor(readonly name: string) {}

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      if (this.name === 'Client') throw new Error('clients are registered with `supportgate client create`');
      const stored: Payload = { ...payload };
      if (this.name === 'RefreshToken' && payload.sessionUid) {
        const support = await sessions.get(tenant, payload.sessionUid);
        if (support) stored.sg = { actorId: support.actor.id };
      }
      const ttl = typeof expiresIn === 'number' && expiresIn > 0 ? Math.ceil(expiresIn) : undefined;
      const k = key(this.name, id);
      const multi = redis.multi();
      if (ttl) multi.set(k, JSON.stringify(stored), 'EX', ttl);
      else multi.set(k, JSON.stringify(stored));
      if (GRANTABLE.has(this.name) && payload.grantId) {
        const g = grantIndexKey(prefix, tenant, payload.grantId);
        multi.sadd(g, k);
        if (ttl) {
          multi.expire(g, ttl, 'NX');
          multi.expire(g, ttl, 'GT');
        }
      }
      if (payload.uid) {
        if (ttl) multi.set(key(`${this.name}:uid`, payload.uid), id, 'EX', ttl);
        else multi.set(key(`${this.name}:uid`, payload.uid), id);
      }
      if (payload.userCode && ttl) multi.set(key(`${this.name}:userCode`, payload.userCode), id, 'EX', ttl);
      const results = await multi.exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error('oidc record not written');
    }

    async find(id: string): Promise<Payload | undefined> {
      if (this.name === 'Client') return clientMetadata(domain, tenant, id);
      const raw = await redis.get(key(this.name, id));
      if (raw === null) return undefined;
      const payload = JSON.parse(raw) as Payload;
      // Second layer: a support token works only while may-enter still says yes.
      const actorId = supportActorOf(payload);
      if (actorId && payload.accountId) {
        const decision = await supportStillAllowed(domain, tenant, actorId, payload.accountId);
        if (!decision.ok) {
          deps.onSupportDenied?.(payload.sessionUid);
          return undefined;
        }
      }
      return payload;
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      const id = await redis.get(key(`${this.name}:uid`, uid));
      return id === null ? undefined : this.find(id);
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      const id = await redis.get(key(`${this.name}:userCode`, userCode));
      return id === null ? undefined : this.find(id);
    }

    async consume(id: string): Promise<void> {
      await consumeScript.run(redis, [key(this.name, id)], [Math.floor(Date.now() / 1000)]);
    }

    async destroy(id: string): Promise<void> {
      await redis.del(key(this.name, id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await revokeGrant(redis, prefix, tenant, grantId);
    }
  };
}

/** A tenant's client record as oidc-provider metadata; the secret is unsealed only here. */
async function clientMetadata(domain: Domain, tenant: string, clientId: string): Promise<Payload | undefined> {
  const c = await domain.clients.get(tenant, clientId);
  if (!c) return undefined;
  return {
    client_id: c.clientId,
    ...(c.public ? { token_endpoint_auth_method: 'none' } : { client_secret: domain.secretBox.open(c.sealedSecret!), token_endpoint_auth_method: 'client_secret_basic' }),
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    sg_first_party: c.firstParty,
  };
}
