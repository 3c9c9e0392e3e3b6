import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parse as parseCookies } from 'cookie';
import type { Request, Response } from 'express';
import type { Clock } from '../../clock.js';
import type { RedisClient } from '../../redis/client.js';
import { tenantKey } from '../../redis/keys.js';

/** Who is signed in to a console, as its sign-in established. */
export interface ConsoleIdentity {
  /** The user the console acts as (john, also in a support session). */
  userId: string;
  username: string;
  /** Set for a support session jill$john: the support user, and when the login happened. */
  support: { actor: { id: string; username: string }; startedAt: number } | null;
  /** For RP-initiated logout (id_token_hint). */
  idToken: string;
  signedInAt: number;
  /** When this user changed their own password in this console (that change does not end it). */
  ownPasswordChangeAt?: number;
}

/** One browser's console session, kept server-side; the cookie holds only its random id. */
export interface ConsoleSession {
  tenant: string;
  /** The token every console form carries (compared in constant time). */
  csrf: string;
  createdAt: number;
  /** openid-client's pending authorization request (PKCE verifier) while signing in. */
  oidc?: Record<string, unknown>;
  /** Where to go after signing in (a console path). */
  returnTo?: string;
  identity?: ConsoleIdentity;
  /**
   * The previous console session ended (access withdrawn, password changed, tenant suspended):
   * the sign-in asks for the password again rather than riding an issuer session still open.
   */
  reauthenticate?: boolean;
  /** A one-time message for the next page ("Support enabled until ..."). */
  flash?: string;
}

/** How long a signed-in console session lasts at most, and a sign-in that was started. */
const SIGNED_IN_SECONDS = 8 * 3600;
const SIGNING_IN_SECONDS = 600;

export const consoleCookieName = (tenant: string) => `sg_${tenant}_console`;

/**
 * Console sessions in Redis under the tenant's hash tag, keyed by a digest of the cookie's id
 * (a dump of Redis does not hand out usable cookies). A session lives 8 hours from sign-in; a
 * sign-in not finished within 10 minutes is forgotten.
 */
export class ConsoleSessions {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly clock: Clock,
    private readonly secureCookies: boolean,
  ) {}

  private key(tenant: string, id: string): string {
    return tenantKey(this.prefix, tenant, 'console', createHash('sha256').update(id).digest('base64url'));
  }

  /** The session the request's cookie names, with its id; null when there is none (or it ended). */
  async load(req: Request, tenant: string): Promise<{ id: string; session: ConsoleSession } | null> {
    const id = parseCookies(req.headers.cookie ?? '')[consoleCookieName(tenant)];
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const raw = await this.redis.get(this.key(tenant, id));
    if (raw === null) return null;
    const session = JSON.parse(raw) as ConsoleSession;
    return session.tenant === tenant ? { id, session } : null;
  }

  /** A new session with a new id and cookie (a new id on every sign-in: no fixation). */
  async start(res: Response, tenant: string, fields: Partial<ConsoleSession> = {}): Promise<{ id: string; session: ConsoleSession }> {
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = { tenant, csrf: randomBytes(24).toString('base64url'), createdAt: this.clock.now(), ...fields };
    await this.save(res, id, session);
    return { id, session };
  }

  async save(res: Response, id: string, session: ConsoleSession): Promise<void> {
    const lifetime = session.identity ? SIGNED_IN_SECONDS : SIGNING_IN_SECONDS;
    const from = session.identity?.signedInAt ?? session.createdAt;
    const seconds = Math.floor((from + lifetime * 1000 - this.clock.now()) / 1000);
    if (seconds <= 0) return this.destroy(res, session.tenant, id);
    await this.redis.set(this.key(session.tenant, id), JSON.stringify(session), 'EX', seconds);
    res.cookie(consoleCookieName(session.tenant), id, { path: `/t/${session.tenant}/console`, httpOnly: true, sameSite: 'lax', secure: this.secureCookies, maxAge: seconds * 1000 });
  }

  async destroy(res: Response, tenant: string, id: string): Promise<void> {
    await this.redis.del(this.key(tenant, id));
    res.clearCookie(consoleCookieName(tenant), { path: `/t/${tenant}/console` });
  }
}

/** Whether a posted form carries the session's token. */
export function csrfMatches(session: ConsoleSession, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}
