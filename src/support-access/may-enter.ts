import { ERRORS } from '../errors.js';
import { getSettings } from '../settings/settings.js';
import { MANAGEMENT_TENANT, type Tenant } from '../tenants/tenants.js';
import { ALL_TENANTS, type User } from '../users/users.js';
import { describeAccess, type SupportDeps } from './support.js';
import type { SupportWindow } from './window.js';

/** Why a support user may not enter, in the order the checks run. */
export type DenyReason =
  | 'not-a-support-user'
  | 'support-user-disabled'
  | 'tenant-not-found'
  | 'tenant-suspended'
  | 'management-is-never-a-target'
  | 'not-in-scope'
  | 'support-not-enabled'
  | 'target-not-found'
  | 'target-disabled'
  | 'target-protected'
  | 'no-tenant-admin'
  // Only for a running session: its support user's password changed after it began.
  | 'support-user-password-changed';

/** What a support user is told once its own password verified (before that: invalid credentials only). */
export const DENY_MESSAGES: Record<DenyReason, string> = {
  'not-a-support-user': ERRORS.INVALID_CREDENTIALS.message,
  'support-user-disabled': ERRORS.INVALID_CREDENTIALS.message,
  'tenant-not-found': ERRORS.INVALID_CREDENTIALS.message,
  'tenant-suspended': 'this tenant is suspended',
  'management-is-never-a-target': 'not permitted for this tenant',
  'not-in-scope': 'not permitted for this tenant',
  'support-not-enabled': 'support access is not enabled for this tenant',
  'target-not-found': 'no such user in this tenant',
  'target-disabled': 'this user is disabled',
  'target-protected': 'this user cannot be entered by support',
  'no-tenant-admin': 'this tenant has no enabled administrator',
  'support-user-password-changed': "the support user's password changed; sign in again",
};

export type EntryDecision =
  | { ok: true; supportUser: User; tenant: Tenant; target: User; until: number | null; via: 'global' | 'requests' }
  | { ok: false; reason: DenyReason; message: string };

export interface EntryFacts {
  supportUser: User | null;
  tenant: Tenant | null;
  /** The user asked for; null with `targetRequested` null means "the oldest enabled tenant admin". */
  target: User | null;
  globalSetting: boolean | string;
  window: SupportWindow;
  now: number;
}

const deny = (reason: DenyReason): EntryDecision => ({ ok: false, reason, message: DENY_MESSAGES[reason] });

/** May support user S enter tenant T as user U now? Pure: every fact is given. */
export function decideEntry(f: EntryFacts): EntryDecision {
  const s = f.supportUser;
  if (!s || s.tenant !== MANAGEMENT_TENANT || !s.roles.includes('support')) return deny('not-a-support-user');
  if (!s.enabled) return deny('support-user-disabled');
  if (!f.tenant) return deny('tenant-not-found');
  if (f.tenant.id === MANAGEMENT_TENANT) return deny('management-is-never-a-target');
  if (f.tenant.status !== 'active') return deny('tenant-suspended');
  if (!s.scope.includes(ALL_TENANTS) && !s.scope.includes(f.tenant.id)) return deny('not-in-scope');
  const access = describeAccess(f.tenant.id, f.globalSetting, f.window, { effective: 'full', global: 'full', tenant: null }, f.now).access;
  if (!access.enabled) return deny('support-not-enabled');
  const t = f.target;
  if (!t || t.tenant !== f.tenant.id) return deny('target-not-found');
  if (t.roles.includes('support') || t.roles.includes('platform-admin')) return deny('target-protected');
  if (!t.enabled) return deny('target-disabled');
  return { ok: true, supportUser: s, tenant: f.tenant, target: t, until: access.until, via: access.via! };
}

/** The oldest enabled tenant admin: who `jill$` lands as. */
export async function oldestTenantAdmin(deps: Pick<SupportDeps, 'users'>, tenant: string): Promise<User | null> {
  return (await deps.users.list(tenant)).find((u) => u.enabled && u.roles.includes('tenant-admin')) ?? null;
}

/**
 * Loads the facts and decides: may `supportUsername` enter `tenantId` as `targetUsername` (or,
 * when null, as the oldest enabled tenant admin) at the clock's now?
 */
export async function mayEnter(
  deps: SupportDeps,
  input: { supportUser: User | string; tenant: string; target: string | null },
): Promise<EntryDecision> {
  const supportUser = typeof input.supportUser === 'string' ? await deps.users.findByUsername(MANAGEMENT_TENANT, input.supportUser) : input.supportUser;
  const tenant = await deps.tenants.get(input.tenant).catch(() => null);
  const [settings, window] = await Promise.all([getSettings(deps.settings), tenant ? deps.windows.read(tenant.id) : Promise.resolve(null)]);
  let target: User | null = null;
  if (tenant && tenant.id !== MANAGEMENT_TENANT) {
    target = input.target === null ? await oldestTenantAdmin(deps, tenant.id) : await deps.users.findByUsername(tenant.id, input.target);
  }
  const decision = decideEntry({
    supportUser,
    tenant,
    target,
    globalSetting: settings['support.globalAccess'],
    window: window ?? { version: 0, end: null, requests: [] },
    now: deps.clock.now(),
  });
  if (!decision.ok && decision.reason === 'target-not-found' && input.target === null) return deny('no-tenant-admin');
  return decision;
}

/**
 * May a running support session go on? The same rule as a login, on the facts as they are now,
 * read by id (read together: their commands leave in one write); and a session that began before
 * its support user's password last changed may not.
 */
export async function mayStay(deps: SupportDeps, session: { tenant: string; actor: { id: string }; target: { id: string }; startedAt: number }): Promise<EntryDecision> {
  const [tenant, supportUser, target, settings, window] = await Promise.all([
    deps.tenants.get(session.tenant),
    deps.users.get(MANAGEMENT_TENANT, session.actor.id),
    deps.users.get(session.tenant, session.target.id),
    getSettings(deps.settings),
    deps.windows.read(session.tenant),
  ]);
  const decision = decideEntry({ supportUser, tenant, target, globalSetting: settings['support.globalAccess'], window, now: deps.clock.now() });
  if (decision.ok && supportUser?.passwordChangedAt && Date.parse(supportUser.passwordChangedAt) >= session.startedAt) return deny('support-user-password-changed');
  return decision;
}
