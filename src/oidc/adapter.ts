import { createHash } from 'node:crypto';
import { clientAuthMethodOf, grantTypesOf } from '../clients/clients.js';
import type { ClientStore } from '../clients/clients.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { SupportDeps } from '../support-access/support.js';
import type { RedisClient } from '../redis/client.js';
import { tenantKey } from '../redis/keys.js';
import { Script } from '../redis/script.js';
import type { Logger } from '../logger.js';
import { toOidcError } from './errors.js';
import { oidcRequest } from './request-context.js';
import { mayStay } from '../support-access/may-enter.js';
import { SUPPORT_MARK_MARGIN_S, supportMarkKey } from '../support-access/redis-support-session-store.js';
import type { SupportSession, SupportSessionStore } from '../support-access/sessions.js';

// oidc-provider's storage for one tenant: every record under the tenant's hash tag, so a grant's
// tokens, its index and their revocation stay in one Redis Cluster slot.
type Payload = Record<string, unknown> & {
  jti?: string;
  iat?: number;
  grantId?: string;
  uid?: string;
  userCode?: string;
  sessionUid?: string;
  accountId?: string;
  session?: { cookie?: string };
  /** The support session a record was derived from (a stamp written by this adapter). */
  sg?: SupportSession;
};

/** Records derived from one session that carry its support stamp. */
const STAMPED = new Set(['Session', 'AccessToken', 'AuthorizationCode', 'RefreshToken']);
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
  /** The facts support access is decided on, and the clock. */
  access: SupportDeps;
  clients: Pick<ClientStore, 'get'>;
  secretBox: Pick<SecretBox, 'open'>;
  sessions: SupportSessionStore;
  logger?: Logger | undefined;
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

/**
 * Records are stored under a digest of their id, never the id itself: token values, codes and
 * session ids are bearer secrets, so a Redis dump or a `KEYS`/`MONITOR` must not yield usable
 * ones. The ids are 256-bit random values, so an unkeyed SHA-256 cannot be reversed or guessed.
 */
export function idDigest(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

function keyOfDigest(prefix: string, tenant: string, model: string, digest: string): string {
  return tenantKey(prefix, tenant, 'oidc', model, digest);
}

export function oidcKey(prefix: string, tenant: string, model: string, id: string): string {
  return keyOfDigest(prefix, tenant, model, idDigest(id));
}

export function grantIndexKey(prefix: string, tenant: string, grantId: string): string {
  return tenantKey(prefix, tenant, 'oidc', 'grant', idDigest(grantId));
}

/** Revokes every code and token of a grant, from any process (no provider instance needed). */
export async function revokeGrant(redis: RedisClient, prefix: string, tenant: string, grantId: string): Promise<void> {
  const index = grantIndexKey(prefix, tenant, grantId);
  // The grant goes first: oidc-provider checks a token's grant on every use (introspection,
  // userinfo, refresh), so from here on no token of it works, even one a request was still
  // writing while its index was read below.
  await redis.del(oidcKey(prefix, tenant, 'Grant', grantId));
  const members = await redis.smembers(index);
  await redis.del(index, ...members);
}

/** What a stored session says about who it is and which clients (with their `sid`) it signed in to. */
export interface StoredSessionParties {
  accountId: string | null;
  /** oidc-provider's per-client record of the session: its `sid` for that client and its grant. */
  authorizations: Record<string, { sid?: string; grantId?: string }>;
  stamp: SupportSession | null;
}

/** A stored Session record's parties, from its raw value (back-channel logout reads them before it goes). */
export function sessionParties(raw: string): StoredSessionParties {
  const payload = JSON.parse(raw) as Payload & { authorizations?: Record<string, { sid?: string; grantId?: string }> };
  return { accountId: payload.accountId ?? null, authorizations: payload.authorizations ?? {}, stamp: payload.sg ?? null };
}

/** A stored session found by its uid: its key (to delete it), grant ids, support stamp and parties. */
export async function storedSessionByUid(redis: RedisClient, prefix: string, tenant: string, uid: string): Promise<({ keys: string[]; grantIds: string[] } & StoredSessionParties) | null> {
  const uidKey = oidcKey(prefix, tenant, 'Session:uid', uid);
  const digest = await redis.get(uidKey);
  const key = digest ? keyOfDigest(prefix, tenant, 'Session', digest) : null;
  const raw = key ? await redis.get(key) : null;
  if (!key || raw === null) return null;
  const parties = sessionParties(raw);
  const grantIds = Object.values(parties.authorizations).flatMap((a) => (a.grantId ? [a.grantId] : []));
  return { keys: [key, uidKey], grantIds, ...parties };
}

export function adapterFor(deps: AdapterDeps): AdapterClass {
  const { redis, prefix, tenant, access, sessions } = deps;
  const key = (model: string, id: string) => oidcKey(prefix, tenant, model, id);

  /**
   * The support session a record about to be stored derives from: what this request decided or
   * read (findAccount, a fresh login, the stored session or token), else the session's mark.
   */
  async function stampFor(model: string, payload: Payload): Promise<SupportSession | null> {
    const uid = model === 'Session' ? payload.uid : payload.sessionUid;
    if (!uid || !payload.accountId) return null;
    const state = oidcRequest();
    // A code or token is what findAccount decided it is issued to: a support session, or (null)
    // the user itself, even when the browser's session is a support session by now.
    if (model !== 'Session' && state?.issuing?.checked) return state.issuing.session?.sessionUid === uid ? state.issuing.session : null;
    const known = state?.sessions.get(uid);
    if (known !== undefined) return known;
    return sessions.get(tenant, uid);
  }

  /** A record's raw value: the read this request already started for it, else a new one. */
  function getRaw(k: string): Promise<string | null> {
    const state = oidcRequest();
    const prefetched = state?.prefetched;
    const started = prefetched?.get(k);
    let reading: Promise<string | null>;
    if (started === undefined) reading = redis.get(k);
    else {
      prefetched!.delete(k);
      reading = started;
    }
    const reads = state?.reads;
    return reads ? reading.then((raw) => (reads.set(k, raw), raw)) : reading;
  }

  /** A record this request writes is read anew afterwards, not from a read started before. */
  function forget(k: string): void {
    oidcRequest()?.prefetched.delete(k);
  }

  /**
   * oidc-provider reads a code's or token's grant and session one after the other (each a round
   * trip); their reads start here, together, as soon as the code or token is read. Only the raw
   * values come early: every check on them runs as before, when the provider asks for them.
   */
  function prefetchRelated(model: string, payload: Payload): void {
    const prefetched = oidcRequest()?.prefetched;
    if (!prefetched || !GRANTABLE.has(model)) return;
    const start = (k: string) => {
      if (prefetched.has(k)) return prefetched.get(k)!;
      const reading = redis.get(k);
      reading.catch(() => undefined); // an unused read's failure is nobody's error; a used one rejects for its user
      prefetched.set(k, reading);
      return reading;
    };
    if (payload.grantId) start(key('Grant', payload.grantId));
    if (payload.sessionUid) {
      void start(key('Session:uid', payload.sessionUid)).then(
        (digest) => {
          if (digest !== null) start(keyOfDigest(prefix, tenant, 'Session', digest));
        },
        () => undefined,
      );
    }
  }

  class RedisOidcAdapter {
    constructor(readonly name: string) {}

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      if (this.name === 'Client') throw new Error('clients are registered with `supportgate client create`');
      // The id is the key's digest; the value itself is not stored (nor the session id an
      // interaction keeps a copy of).
      const { jti: _id, ...stored } = payload;
      if (this.name === 'Interaction' && stored.session?.cookie) {
        const { cookie: _sessionId, ...session } = stored.session;
        stored.session = session;
      }
      const stamp = STAMPED.has(this.name) ? await stampFor(this.name, payload) : null;
      if (stamp) stored.sg = stamp;
      else delete stored.sg;
      const ttl = typeof expiresIn === 'number' && expiresIn > 0 ? Math.ceil(expiresIn) : undefined;
      const k = key(this.name, id);
      forget(k);
      if (payload.uid) forget(key(`${this.name}:uid`, payload.uid));
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
      // The session's support mark must outlive every record it marks: it is extended in the same
      // write (a no-op for an ordinary session, which has none).
      if (stamp && ttl) multi.expire(supportMarkKey(prefix, tenant, stamp.sessionUid), ttl + SUPPORT_MARK_MARGIN_S, 'GT');
      if (payload.uid) {
        const uidKey = key(`${this.name}:uid`, payload.uid);
        if (ttl) multi.set(uidKey, idDigest(id), 'EX', ttl);
        else multi.set(uidKey, idDigest(id));
      }
      if (payload.userCode && ttl) multi.set(key(`${this.name}:userCode`, payload.userCode), idDigest(id), 'EX', ttl);
      const results = await multi.exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error('oidc record not written');
    }

    async find(id: string): Promise<Payload | undefined> {
      if (this.name === 'Client') return clientMetadata(deps, tenant, id);
      const payload = await this.read(key(this.name, id), id);
      if (payload) payload.jti = id;
      return payload;
    }

    /** A stored record by its key; support stamps are noted for the request and re-checked on tokens. */
    async read(k: string, id?: string): Promise<Payload | undefined> {
      const [raw, tenantRecord] = await Promise.all([getRaw(k), access.tenants.get(tenant)]);
      if (raw === null) return undefined;
      const payload = JSON.parse(raw) as Payload;
      // (An interaction is no credential: one of the suspension's own second lives on, so a sign-in
      // begun right after a resume in that second shows its form rather than an error.)
      if (tenantRecord && typeof payload.iat === 'number' && this.name !== 'Interaction' && issuedBeforeSuspension(payload.iat, tenantRecord)) return undefined;
      prefetchRelated(this.name, payload);
      if (!STAMPED.has(this.name)) return payload;
      const stamp = payload.sg ?? null;
      const state = oidcRequest();
      if (this.name === 'Session') {
        if (payload.uid) state?.sessions.set(payload.uid, stamp);
        return payload;
      }
      if (id) state?.tokens.set(id, stamp);
      // Second layer: a support token works only while may-enter still says yes.
      if (stamp && payload.accountId) {
        const decision = await mayStay(access, { tenant, actor: stamp.actor, target: { id: payload.accountId }, startedAt: stamp.startedAt });
        if (!decision.ok) {
          deps.onSupportDenied?.(payload.sessionUid);
          return undefined;
        }
      }
      return payload;
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      const digest = await getRaw(key(`${this.name}:uid`, uid));
      return digest === null ? undefined : this.read(keyOfDigest(prefix, tenant, this.name, digest));
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      const digest = await redis.get(key(`${this.name}:userCode`, userCode));
      return digest === null ? undefined : this.read(keyOfDigest(prefix, tenant, this.name, digest));
    }

    async consume(id: string): Promise<void> {
      forget(key(this.name, id));
      await consumeScript.run(redis, [key(this.name, id)], [Math.floor(access.clock.now() / 1000)]);
    }

    async destroy(id: string): Promise<void> {
      forget(key(this.name, id));
      await redis.del(key(this.name, id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      forget(key('Grant', grantId));
      await revokeGrant(redis, prefix, tenant, grantId);
    }
  }
  // A Redis fault inside any of them is answered as the provider's standard 503, never with Redis' words.
  const methods = RedisOidcAdapter.prototype as unknown as Record<string, (this: unknown, ...args: unknown[]) => Promise<unknown>>;
  for (const name of ['upsert', 'find', 'findByUid', 'findByUserCode', 'consume', 'destroy', 'revokeByGrantId']) {
    const original = methods[name]!;
    methods[name] = async function (this: unknown, ...args: unknown[]) {
      try {
        return await original.apply(this, args);
      } catch (err) {
        throw toOidcError(err, deps.logger);
      }
    };
  }
  return RedisOidcAdapter;
}

/**
 * Was a record (issued at `iat`, whole seconds) issued before the tenant's last suspension? Then
 * it is dead, resumed or not — even when no gateway heard of the suspension. A record of the
 * suspension's own second is dead too, also when the resume came within that same second: it may
 * have been issued before the suspension, and whole seconds cannot tell (fail closed; a sign-in in
 * that second after the resume is asked again). Relying on the suspension's sweep to end such a
 * record left a window: a suspend and resume within one second let an older token through until
 * the sweep ran (seen in a loaded CI run of test/forward-auth/verdicts.test.ts).
 */
export function issuedBeforeSuspension(iat: number, t: { status: string; suspendedAt?: string | undefined; resumedAt?: string | undefined }): boolean {
  if (!t.suspendedAt) return false;
  return iat <= Math.floor(Date.parse(t.suspendedAt) / 1000);
}

/** A tenant's client record as oidc-provider metadata; the secret is unsealed only here. */
async function clientMetadata(deps: Pick<AdapterDeps, 'clients' | 'secretBox'>, tenant: string, clientId: string): Promise<Payload | undefined> {
  const known = oidcRequest()?.clients.get(clientId);
  const c = known !== undefined ? known : await deps.clients.get(tenant, clientId);
  if (!c) return undefined;
  return {
    client_id: c.clientId,
    ...(c.public ? { token_endpoint_auth_method: 'none' } : { client_secret: deps.secretBox.open(c.sealedSecret!), token_endpoint_auth_method: clientAuthMethodOf(c) }),
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    // A resource server only introspects; a client with API scopes may also use client credentials
    // (a machine client: no redirect URI, no response type).
    grant_types: grantTypesOf(c),
    response_types: grantTypesOf(c).includes('authorization_code') ? ['code'] : [],
    // oidc-provider refuses a scope outside this list: the client's API scopes (and, for a sign-in
    // client, the OIDC ones). Without API scopes, no list: user tokens carry what was consented to.
    ...(c.apiScopes?.length ? { scope: [...c.apiScopes, ...(c.redirectUris.length > 0 ? ['openid', 'offline_access', 'profile'] : [])].join(' ') } : {}),
    ...(c.idTokenAlg ? { id_token_signed_response_alg: c.idTokenAlg } : {}),
    // Back-channel logout: oidc-provider asks the client to deliver (replaced: backchannel-sessions.ts).
    ...(c.backchannelLogoutUri ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: c.backchannelLogoutSessionRequired === true } : {}),
    sg_first_party: c.firstParty,
    sg_resource_server: c.resourceServer === true,
  };
}
