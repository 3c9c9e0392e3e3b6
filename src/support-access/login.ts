import type { Party } from '../audit/entry.js';
import { ERRORS } from '../errors.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import type { PasswordHasher } from '../users/passwords.js';
import { authenticate, type AuthenticationResult, type PublicUser } from '../users/users.js';
import { parseLoginName } from './login-name.js';
import { DENY_MESSAGES, mayEnter, type DenyReason } from './may-enter.js';
import { supportName } from './sessions.js';
import type { SupportDeps } from './support.js';

/** What a login result carries beyond the account when a support user signed in. */
export interface SupportLoginResult {
  actor: { id: string; username: string };
  target: { id: string; username: string };
  until: number | null;
  /** When the support user's password verified: the session begins then (a later password change ends it). */
  startedAt: number;
}

/** The one answer for every failure before a password verified (the catalogue's text). */
export const INVALID_CREDENTIALS = ERRORS.INVALID_CREDENTIALS.message;

/**
 * Why a login was refused, as one word from a closed set (what metrics count by); the audit's
 * `cause` says the same in full. A support login's own password failing is `wrong-password` too.
 */
export type LoginRefusal = 'malformed-username' | 'tenant-mismatch' | (AuthenticationResult & { ok: false })['reason'] | DenyReason;

/** Who an outcome's audit entry names: the user who tried (a support user acts, a user acts on itself). */
interface LoginParties {
  actor: Party | null;
  subject: Party | null;
}

export type LoginOutcome = LoginParties &
  (
    | { ok: true; accountId: string; username: string; support: SupportLoginResult | null; who: string }
    /**
     * The password verified but the login needs another step before it may finish (a second
     * factor for support staff is the first such step). Nothing produces it yet: it is the seam
     * the login's named steps branch on, so adding a step changes no caller's shape.
     */
    | { ok: 'next-step'; step: LoginStep; accountId: string; username: string; support: SupportLoginResult | null; who: string }
    | {
        ok: false;
        message: string;
        who: string;
        cause: string;
        refusal: LoginRefusal;
        /**
         * The password verified and the answer says so (a support login refused for a named
         * cause). Never true when the answer is "Invalid username or password", so the limits,
         * which reset on it, tell a guesser no more than the page does.
         */
        verified: boolean;
      }
  );

/** Further steps a login may need after its password. */
export type LoginStep = 'second-factor';

export interface LoginInput {
  /** The issuer's tenant: a client's users can only come from its tenant. */
  tenant: string;
  tenantField: string;
  username: string;
  password: string;
}

/**
 * Checks a login typed at a tenant's login screen (SPEC §3). Every path runs exactly one argon2
 * verify, and every failure before the support user's own password verified reads only
 * "Invalid username or password"; after it, the cause is named.
 */
export async function checkLogin(domain: SupportDeps & { hasher: PasswordHasher }, input: LoginInput): Promise<LoginOutcome> {
  const parsed = parseLoginName(input.username);
  const named = input.tenantField.trim() || input.tenant;
  const wrongTenant = named !== input.tenant || (parsed?.tenant !== null && parsed?.tenant !== undefined && parsed.tenant !== input.tenant);
  const typed = input.username.trim().slice(0, 200) || '(empty)';
  if (!parsed || wrongTenant) {
    await domain.hasher.verifyNobody(input.password);
    return { ok: false, message: INVALID_CREDENTIALS, who: typed, cause: parsed ? 'tenant does not match this application' : 'malformed username', refusal: parsed ? 'tenant-mismatch' : 'malformed-username', verified: false, actor: null, subject: null };
  }
  if (parsed.kind === 'user') {
    const result = await authenticate(domain, input.tenant, parsed.username, input.password);
    const user = result.user ? userParty(result.user) : null;
    if (!result.ok) return { ok: false, message: INVALID_CREDENTIALS, who: parsed.username, cause: result.reason, refusal: result.reason, verified: false, actor: user, subject: user };
    return { ok: true, accountId: result.user.id, username: result.user.username, support: null, who: result.user.username, actor: user, subject: user };
  }
  const who = supportName(parsed.supportUser, parsed.target ?? '');
  const support = await authenticate(domain, MANAGEMENT_TENANT, parsed.supportUser, input.password);
  const verifiedAt = domain.clock.now();
  // An existing management user named before the `$` is the actor, so the attempt reaches its
  // cross-tenant audit index, whether or not its password verified.
  const actor = support.user ? userParty(support.user) : null;
  if (!support.ok) return { ok: false, message: INVALID_CREDENTIALS, who, cause: `support user: ${support.reason}`, refusal: support.reason, verified: false, actor, subject: null };
  const decision = await mayEnter(domain, { supportUser: support.user, tenant: input.tenant, target: parsed.target });
  if (!decision.ok) {
    const message = DENY_MESSAGES[decision.reason];
    return { ok: false, message, who, cause: decision.reason, refusal: decision.reason, verified: message !== INVALID_CREDENTIALS, actor, subject: null };
  }
  return {
    ok: true,
    accountId: decision.target.id,
    username: decision.target.username,
    who: supportName(decision.supportUser.username, decision.target.username),
    actor,
    subject: userParty(decision.target),
    support: {
      actor: { id: decision.supportUser.id, username: decision.supportUser.username },
      target: { id: decision.target.id, username: decision.target.username },
      until: decision.until,
      startedAt: verifiedAt,
    },
  };
}

function userParty(user: Pick<PublicUser, 'id' | 'username' | 'tenant'>): Party {
  return { type: 'user', id: user.id, name: user.username, tenant: user.tenant };
}
