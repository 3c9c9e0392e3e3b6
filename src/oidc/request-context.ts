import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientRecord } from '../clients/clients.js';
import type { SupportSession } from '../support-access/sessions.js';

/** Who the tokens of this request are issued to, once findAccount (or a fresh login) decided it. */
export interface IssuingFor {
  session: SupportSession | null;
  username: string;
  /** True when may-enter was asked during this request: `session.until` is then current. */
  checked: boolean;
}

/**
 * What one request to a tenant issuer learned about support sessions. oidc-provider's models keep
 * only whitelisted fields, so the support stamp the adapter reads from a stored record would be
 * lost between the adapter and findAccount, the ttl functions and extraTokenClaims; this
 * request-scoped store carries it across instead (and nothing outlives the request).
 */
export interface OidcRequestState {
  /** Stamp of each Session record read or decided in this request, by session uid (null: ordinary). */
  sessions: Map<string, SupportSession | null>;
  /** Stamp of each code or token read in this request, by its id (null: ordinary). */
  tokens: Map<string, SupportSession | null>;
  issuing?: IssuingFor;
  /** What the browser's session was (its stamp) before a fresh login in this request replaced it. */
  before?: SupportSession | null;
  /** Client records already read in this request (the auth-method check reads the client first). */
  clients: Map<string, ClientRecord | null>;
  /**
   * Records the adapter started reading before oidc-provider asks for them (a code's grant and
   * session), by Redis key: read in the same round trip as each other, each used once.
   */
  prefetched: Map<string, Promise<string | null>>;
  /**
   * Set by a caller that wants to know what the checks were made on (forward-auth's verdict
   * cache): every record's raw value the adapter read in this request, by Redis key.
   */
  reads?: Map<string, string | null>;
}

const storage = new AsyncLocalStorage<OidcRequestState>();

/** Runs `fn` (an issuer's request handling) with a fresh request state. */
export function withOidcRequest<T>(fn: () => T, options: { recordReads?: boolean } = {}): T {
  return storage.run({ sessions: new Map(), tokens: new Map(), clients: new Map(), prefetched: new Map(), ...(options.recordReads ? { reads: new Map() } : {}) }, fn);
}

/** The current request's state, or undefined outside an issuer request (e.g. the session ender). */
export function oidcRequest(): OidcRequestState | undefined {
  return storage.getStore();
}
