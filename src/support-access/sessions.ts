import type { Party } from '../audit/entry.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';

/** What makes a session a support session: who is acting, as whom, until when. */
export interface SupportSession {
  tenant: string;
  /** The uid of the session it marks (oidc-provider's Session uid; any session store's id later). */
  sessionUid: string;
  actor: { id: string; username: string };
  target: { id: string; username: string };
  /** Epoch ms the access that allowed it ends, as last checked (null: no limit). */
  until: number | null;
  startedAt: number;
}

/**
 * Storage of support-session marks: the mark of each session, and indexes by tenant and by
 * support user so that a reduction of access finds every session it touches.
 */
export interface SupportSessionStore {
  /** Marks a session as a support session; the mark must outlive everything derived from it. */
  save(s: SupportSession): Promise<void>;
  get(tenant: string, sessionUid: string): Promise<SupportSession | null>;
  remove(tenant: string, sessionUid: string, actorId?: string): Promise<void>;
  /** Session uids of a tenant's support sessions (some may have ended: the caller checks). */
  inTenant(tenant: string): Promise<string[]>;
  /** Every session of one support user, in any tenant. */
  ofActor(actorId: string): Promise<{ tenant: string; sessionUid: string }[]>;
  /** True for exactly one caller per session (whoever ends it records it). */
  claimEnd(tenant: string, sessionUid: string): Promise<boolean>;
}

/** Ends a session and everything derived from it where it is kept (the OIDC adapter implements it). */
export interface SessionRevoker {
  /** The support mark a stored session carries itself, or null when none or no such session. */
  stampOf(tenant: string, sessionUid: string): Promise<SupportSession | null>;
  /** Destroys the session, its grants and every code and token of them; says how many grants. */
  revoke(tenant: string, sessionUid: string): Promise<{ grants: number }>;
  /**
   * Destroys every session, grant, code and token of a tenant (it was suspended), support marks
   * aside (the ender ends those sessions itself); idempotent; says how many records went.
   * Optional: a store that cannot do it leaves it to the tenant's issuer refusing every request.
   */
  revokeTenant?(tenant: string): Promise<number>;
}

export interface AuditIdentity {
  who: string;
  actor: Party;
  subject: Party;
}

/**
 * Who an entry names for something done as `user`, through `session` when it is a support
 * session: `jill$john` with jill as actor, else `john` acting for himself. The one place the
 * combined name is assembled.
 */
export function auditIdentity(user: { id: string | null; username: string | null; tenant: string }, session?: Pick<SupportSession, 'actor'> | null): AuditIdentity {
  const subject: Party = { type: 'user', id: user.id, name: user.username, tenant: user.tenant };
  if (!session) return { who: user.username ?? user.id ?? 'unknown', actor: subject, subject };
  return {
    who: supportName(session.actor.username, user.username ?? ''),
    actor: { type: 'user', id: session.actor.id, name: session.actor.username, tenant: MANAGEMENT_TENANT },
    subject,
  };
}

/** `jill$john`: the support login notation (SPEC §3), also how the audit log names support sessions. */
export function supportName(supportUser: string, user: string): string {
  return `${supportUser}$${user}`;
}

/** The RFC 8693 actor claim of a support session's tokens. */
export function actClaim(session: Pick<SupportSession, 'actor'>): { sub: string; preferred_username: string; tenant: string } {
  return { sub: session.actor.id, preferred_username: session.actor.username, tenant: MANAGEMENT_TENANT };
}
