import type { AuditContext } from '../audit/audited.js';
import { ERRORS } from '../errors.js';
import type { Domain } from '../domain.js';
import { DENY_MESSAGES, mayEnter } from '../support-access/may-enter.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import { authenticate } from '../users/users.js';
import { parseLoginName } from './login-name.js';
import type { SupportLoginResult } from './provider.js';

/** The one answer for every failure before a password verified (the catalogue's text). */
export const INVALID_CREDENTIALS = ERRORS.INVALID_CREDENTIALS.message;

export type LoginOutcome =
  | { ok: true; accountId: string; username: string; support: SupportLoginResult | null; who: string }
  | { ok: false; message: string; who: string; cause: string };

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
export async function checkLogin(domain: Domain, input: LoginInput): Promise<LoginOutcome> {
  const parsed = parseLoginName(input.username);
  const named = input.tenantField.trim() || input.tenant;
  const wrongTenant = named !== input.tenant || (parsed?.tenant !== null && parsed?.tenant !== undefined && parsed.tenant !== input.tenant);
  const typed = input.username.trim().slice(0, 200) || '(empty)';
  if (!parsed || wrongTenant) {
    await domain.hasher.verifyNobody(input.password);
    return { ok: false, message: INVALID_CREDENTIALS, who: typed, cause: parsed ? 'tenant does not match this application' : 'malformed username' };
  }
  if (parsed.kind === 'user') {
    const result = await authenticate(domain, input.tenant, parsed.username, input.password);
    if (!result.ok) return { ok: false, message: INVALID_CREDENTIALS, who: parsed.username, cause: result.reason };
    return { ok: true, accountId: result.user.id, username: result.user.username, support: null, who: result.user.username };
  }
  const who = `${parsed.supportUser}$${parsed.target ?? ''}`;
  const support = await authenticate(domain, MANAGEMENT_TENANT, parsed.supportUser, input.password);
  if (!support.ok) return { ok: false, message: INVALID_CREDENTIALS, who, cause: `support user: ${support.reason}` };
  const decision = await mayEnter(domain, { supportUser: support.user, tenant: input.tenant, target: parsed.target });
  if (!decision.ok) return { ok: false, message: DENY_MESSAGES[decision.reason], who, cause: decision.reason };
  return {
    ok: true,
    accountId: decision.target.id,
    username: decision.target.username,
    who: `${decision.supportUser.username}$${decision.target.username}`,
    support: {
      actor: { id: decision.supportUser.id, username: decision.supportUser.username },
      target: { id: decision.target.id, username: decision.target.username },
      until: decision.until,
    },
  };
}

/** The audit context of a login attempt from a browser. */
export function loginAuditContext(who: string, req: { ip?: string | undefined; get(h: string): string | undefined }, clientId: string | null, requestId: string | null): AuditContext {
  return { who: who.slice(0, 300), actor: null, channel: 'login', clientAddress: req.ip ?? null, userAgent: req.get('user-agent')?.slice(0, 500) ?? null, clientId, requestId };
}
