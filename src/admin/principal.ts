/**
 * Who is asking for an admin action. Every caller (CLI, console, JSON API) builds one and hands
 * it to `authorize` (policy.ts) before the action runs; nothing else decides permissions.
 */
import type { Role } from '../users/users.js';

/**
 * The CLI, run by someone with shell and Redis access: the platform's own operator. It could
 * edit Redis directly, so refusing it anything would protect nothing; it may do every action.
 */
export interface OperatorPrincipal {
  kind: 'operator';
  /** Shown in the audit log (e.g. `cli:alice`). */
  name: string;
}

/** A user signed in as itself (console, API), with the roles its tenant gave it. */
export interface UserPrincipal {
  kind: 'user';
  tenant: string;
  userId: string;
  username: string;
  roles: Role[];
  /**
   * Through the JSON API: the scopes of the bearer token (see API_SCOPES), which must cover the
   * action besides the roles. Absent in the console, where the person acts themselves.
   */
  scopes?: readonly string[] | undefined;
}

/**
 * A support session `jill$john`: acts as john in john's tenant, but SPEC §2 says it never opens,
 * prolongs or closes a request, changes passwords, or manages users, clients or settings.
 */
export interface SupportPrincipal {
  kind: 'support';
  /** The impersonated user's tenant, id and username (john). */
  tenant: string;
  userId: string;
  username: string;
  /** The support user acting (jill, of the management tenant). */
  actor: { id: string; username: string };
}

/**
 * An API client acting for itself (client credentials). It gets nothing by default: only the
 * actions its token's scopes cover (policy.ts API_SCOPES, e.g. `audit:read`), and only those the
 * policy lets a client have at all.
 */
export interface ClientPrincipal {
  kind: 'client';
  tenant: string;
  clientId: string;
  scopes: string[];
}

export type Principal = OperatorPrincipal | UserPrincipal | SupportPrincipal | ClientPrincipal;
