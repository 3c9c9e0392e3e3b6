/**
 * Is a browser still signed in? One rule for every cookie session a sign-in through a tenant's
 * issuer started (the console's, forward-auth's): the user still exists and is enabled; the
 * tenant was not suspended since the sign-in (a resume does not bring it back); a support session
 * is still allowed by the rule its tokens obey (`mayStay`: window, global access, support user,
 * scope, its password); an ordinary one ends when the user's password was set since the sign-in
 * (except by the user's own change in that same session, which re-stamps it).
 */
import type { SupportDeps } from '../support-access/support.js';
import { mayStay } from '../support-access/may-enter.js';
import type { User } from '../users/users.js';
import type { ConsoleIdentity } from './console/sessions.js';

export type SignedIn = { ok: true; user: User; support: { actor: { id: string; username: string }; until: number | null } | null } | { ok: false };

export async function stillSignedIn(deps: SupportDeps, tenant: string, identity: ConsoleIdentity): Promise<SignedIn> {
  const [user, tenantRecord] = await Promise.all([deps.users.get(tenant, identity.userId), deps.tenants.get(tenant)]);
  if (!user || !user.enabled || !tenantRecord || tenantRecord.status !== 'active') return { ok: false };
  if (tenantRecord.suspendedAt && Date.parse(tenantRecord.suspendedAt) >= identity.signedInAt) return { ok: false };
  if (identity.support) {
    const decision = await mayStay(deps, { tenant, actor: identity.support.actor, target: { id: user.id }, startedAt: identity.support.startedAt });
    return decision.ok ? { ok: true, user, support: { actor: identity.support.actor, until: decision.until } } : { ok: false };
  }
  if (user.passwordChangedAt && Date.parse(user.passwordChangedAt) > Math.max(identity.signedInAt, identity.ownPasswordChangeAt ?? 0)) return { ok: false };
  return { ok: true, user, support: null };
}
