import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { RedisClient } from '../redis/client.js';
import { tenantKey } from '../redis/keys.js';
import type { ConsoleIdentity } from './console/sessions.js';

/** A sign-in for an app behind the proxy, under way: where to go after, and openid-client's PKCE state. */
export interface PendingSignIn {
  rd: string;
  oidc?: Record<string, unknown>;
}

/** A browser signed in for the apps behind the proxy of one tenant. */
export interface ForwardAuthSession {
  tenant: string;
  identity: ConsoleIdentity;
}

/** How long a forward-auth session lasts at most, a sign-in under way, and a hand-over code. */
const SESSION_SECONDS = 8 * 3600;
const PENDING_SECONDS = 600;
const CODE_SECONDS = 60;

export const newId = () => randomBytes(32).toString('base64url');
const digest = (id: string) => createHash('sha256').update(id).digest('base64url');
/** Ids travel as `<tenant>.<id>` (cookie, URL): the tenant says which slot to read. */
export function parseTenantId(value: string | undefined): { tenant: string; id: string } | null {
  const m = /^([a-z][a-z0-9-]{1,62})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
  return m ? { tenant: m[1]!, id: m[2]! } : null;
}

/**
 * Forward-auth's browser state in Redis under the tenant's hash tag, keyed by digests of the
 * random ids the cookies and URLs carry: sign-ins under way, sessions, and one-time codes that
 * hand a session from the gateway's host to the app's host.
 */
export class ForwardAuthSessions {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly clock: Clock,
  ) {}

  private key(tenant: string, kind: string, id: string): string {
    return tenantKey(this.prefix, tenant, 'fa', kind, digest(id));
  }

  async savePending(tenant: string, id: string, pending: PendingSignIn): Promise<void> {
    await this.redis.set(this.key(tenant, 'pending', id), JSON.stringify(pending), 'EX', PENDING_SECONDS);
  }

  /** The sign-in under way, once: a callback replayed finds nothing. */
  async takePending(tenant: string, id: string): Promise<PendingSignIn | null> {
    const raw = await this.redis.getdel(this.key(tenant, 'pending', id));
    return raw === null ? null : (JSON.parse(raw) as PendingSignIn);
  }

  async start(session: ForwardAuthSession): Promise<string> {
    const id = newId();
    await this.redis.set(this.key(session.tenant, 'session', id), JSON.stringify(session), 'EX', SESSION_SECONDS);
    return id;
  }

  async get(tenant: string, id: string): Promise<ForwardAuthSession | null> {
    const raw = await this.redis.get(this.key(tenant, 'session', id));
    const session = raw === null ? null : (JSON.parse(raw) as ForwardAuthSession);
    return session?.tenant === tenant ? session : null;
  }

  async end(tenant: string, id: string): Promise<void> {
    await this.redis.del(this.key(tenant, 'session', id));
  }

  /** A one-time code for the app's host to take the session over (60 s). */
  async handOver(tenant: string, sessionId: string, rd: string): Promise<string> {
    const code = newId();
    await this.redis.set(this.key(tenant, 'code', code), JSON.stringify({ sessionId, rd }), 'EX', CODE_SECONDS);
    return code;
  }

  async takeOver(tenant: string, code: string): Promise<{ sessionId: string; rd: string } | null> {
    const raw = await this.redis.getdel(this.key(tenant, 'code', code));
    return raw === null ? null : (JSON.parse(raw) as { sessionId: string; rd: string });
  }

  now(): number {
    return this.clock.now();
  }
}
