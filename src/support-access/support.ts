import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { AccessEvent } from '../events.js';
import { AppError } from '../errors.js';
import { getSettings, supportModeOf, type Settings, type SettingsStore } from '../settings/settings.js';
import { MANAGEMENT_TENANT, requireTenant, type Tenant, type TenantStore } from '../tenants/tenants.js';
import type { User, UserStore } from '../users/users.js';
import type { SupportLogin, SupportWindowStore } from './store.js';
import { closableBy, closeRequests, foldEnd, globalAccess, isOpen, prolong, requestViews, type RequestView, type SupportRequest, type SupportWindow } from './window.js';

export interface SupportDeps {
  windows: SupportWindowStore;
  users: UserStore;
  tenants: TenantStore;
  settings: SettingsStore;
  clock: Clock;
}

/** A tenant user who may act on support requests: exists, is enabled, in a tenant that can be a target. */
async function requestingUser(deps: SupportDeps, tenantId: string, username: string): Promise<{ tenant: Tenant; user: User }> {
  const tenant = await requireTenant(deps.tenants, tenantId);
  if (tenant.id === MANAGEMENT_TENANT) throw new AppError('MANAGEMENT_NEVER_TARGET');
  if (tenant.status !== 'active') throw new AppError('TENANT_SUSPENDED', undefined, { params: { tenant: tenant.id } });
  const user = await deps.users.findByUsername(tenant.id, username);
  if (!user) throw new AppError('USER_NOT_FOUND', undefined, { params: { username, tenant: tenant.id } });
  if (!user.enabled) throw new AppError('USER_DISABLED', undefined, { params: { username: user.username } });
  return { tenant, user };
}

const REASON_MAX_CHARS = 500;
const reasonSchema = z.string().trim().max(REASON_MAX_CHARS);

/**
 * "Enable support": any enabled user of the tenant opens a request of `hours` (default
 * support.requestHours, at most support.maxRequestHours), prolonging the tenant's window.
 */
export async function openSupportRequest(
  deps: SupportDeps,
  input: { tenant: string; username: string; hours?: number | undefined; reason?: string | undefined },
): Promise<{ request: SupportRequest; window: SupportWindow; user: User }> {
  const { tenant, user } = await requestingUser(deps, input.tenant, input.username);
  const settings = await getSettings(deps.settings);
  const now = deps.clock.now();
  const global = globalAccess(settings['support.globalAccess'], now);
  if (global.on) {
    if (global.until) throw new AppError('SUPPORT_GLOBAL_UNTIL', undefined, { params: { until: new Date(global.until).toISOString() } });
    throw new AppError('SUPPORT_GLOBAL');
  }
  const hours = input.hours ?? settings['support.requestHours'];
  const max = settings['support.maxRequestHours'];
  if (!Number.isInteger(hours) || hours < 1 || hours > max) {
    throw new AppError('SUPPORT_HOURS', undefined, { params: { max: String(max) } });
  }
  const reason = reasonSchema.safeParse(input.reason ?? '');
  if (!reason.success) throw new AppError('SUPPORT_REASON_TOO_LONG', undefined, { params: { max: String(REASON_MAX_CHARS) } });
  const request: SupportRequest = {
    id: randomUUID(),
    openedBy: { id: user.id, username: user.username },
    openedAt: now,
    hours,
    reason: reason.data === '' ? null : reason.data,
    closedAt: null,
    closedBy: null,
  };
  const window = await deps.windows.update(tenant.id, (w) => prolong(w, request));
  await deps.windows.schedule(tenant.id, window.end);
  return { request, window, user };
}

/**
 * "Disable support": a user closes the requests it opened; a tenant admin closes every request
 * of the tenant. The window end is recomputed from what remains.
 */
export async function closeSupportRequests(
  deps: SupportDeps,
  input: { tenant: string; username: string },
): Promise<{ closed: SupportRequest[]; before: SupportWindow; window: SupportWindow; user: User }> {
  const { tenant, user } = await requestingUser(deps, input.tenant, input.username);
  const admin = user.roles.includes('tenant-admin');
  const now = deps.clock.now();
  let before: SupportWindow | undefined;
  let ids: string[] = [];
  const window = await deps.windows.update(tenant.id, (w) => {
    before = w;
    ids = closableBy(w, user.id, admin, now);
    if (ids.length === 0) {
      if (admin) throw new AppError('TENANT_HAS_NO_ACTIVE_REQUEST', undefined, { params: { tenant: tenant.id } });
      throw new AppError('USER_HAS_NO_ACTIVE_REQUEST', undefined, { params: { username: user.username, tenant: tenant.id } });
    }
    return closeRequests(w, new Set(ids), { id: user.id, username: user.username }, now);
  });
  await deps.windows.schedule(tenant.id, isOpen(window, now) ? window.end : null);
  const closed = window.requests.filter((r) => ids.includes(r.id));
  return { closed, before: before!, window, user };
}

/** Takes an opened request back out of the window (its opening could not be recorded). */
export async function withdrawRequest(deps: Pick<SupportDeps, 'windows' | 'clock'>, tenant: string, requestId: string): Promise<void> {
  const w = await deps.windows.update(tenant, (cur) => {
    const requests = cur.requests.filter((r) => r.id !== requestId);
    return { ...cur, version: cur.version + 1, requests, end: foldEnd(requests) };
  });
  await deps.windows.schedule(tenant, isOpen(w, deps.clock.now()) ? w.end : null);
}

/** Puts a window back as it was before a change (a closing that could not be recorded). */
export async function restoreWindow(deps: Pick<SupportDeps, 'windows' | 'clock'>, tenant: string, before: SupportWindow): Promise<void> {
  const w = await deps.windows.update(tenant, (cur) => ({ ...before, version: cur.version + 1 }));
  await deps.windows.schedule(tenant, isOpen(w, deps.clock.now()) ? w.end : null);
}

/** The event a closing publishes: the window shrank, to its new end or to nothing. */
export function windowReduced(tenant: string, window: SupportWindow, now: number): AccessEvent {
  return { type: 'support.window.reduced', tenant, endsAt: isOpen(window, now) ? window.end : null, reason: 'closed' };
}

/** The event a change of global access publishes when it takes access away (switched off, or ends sooner). */
export function globalAccessReduction(before: boolean | string, after: boolean | string, now: number): AccessEvent | null {
  const was = globalAccess(before, now);
  const is = globalAccess(after, now);
  if (was.on && !is.on) return { type: 'support.global.reduced', until: null, reason: 'switched-off' };
  const shortened = was.on && is.on && is.until !== null && (was.until === null || is.until < was.until);
  return shortened ? { type: 'support.global.reduced', until: is.until, reason: 'shortened' } : null;
}

export interface SupportStatus {
  tenant: string;
  /** Whether a support user may enter now, and until when (null: no limit), and why. */
  access: { enabled: boolean; until: number | null; via: 'global' | 'requests' | null };
  globalAccess: { on: boolean; until: number | null };
  window: { open: boolean; endsAt: number | null };
  activeRequests: number;
  requests: RequestView[];
  mode: { effective: Settings['support.mode']; global: Settings['support.mode']; tenant: Settings['support.mode'] | null };
  /** The newest support logins, newest first. */
  lastLogins: SupportLogin[];
}

/** A tenant's support properties in one call (Cumulocity's tenant "Properties"). */
export async function supportStatus(deps: SupportDeps, tenantId: string): Promise<SupportStatus> {
  const tenant = await requireTenant(deps.tenants, tenantId);
  const [settings, window, mode, lastLogins] = await Promise.all([getSettings(deps.settings), deps.windows.read(tenant.id), supportModeOf(deps.settings, tenant.id), deps.windows.lastLogins(tenant.id)]);
  const now = deps.clock.now();
  return { ...describeAccess(tenant.id, settings['support.globalAccess'], window, mode, now), lastLogins };
}

export function describeAccess(tenant: string, globalSetting: boolean | string, window: SupportWindow, mode: SupportStatus['mode'], now: number): Omit<SupportStatus, 'lastLogins'> {
  const global = globalAccess(globalSetting, now);
  const views = requestViews(window, now);
  const open = isOpen(window, now);
  // Management is never a target; elsewhere global access and the window each grant access.
  let access: SupportStatus['access'] = { enabled: false, until: null, via: null };
  if (tenant === MANAGEMENT_TENANT) return { tenant, access, globalAccess: global, window: { open: false, endsAt: null }, activeRequests: 0, requests: views, mode };
  if (global.on && global.until === null) access = { enabled: true, until: null, via: 'global' };
  else if (global.on || open) {
    const globalUntil = global.on ? global.until! : -Infinity;
    const windowUntil = open ? window.end! : -Infinity;
    access = { enabled: true, until: Math.max(globalUntil, windowUntil), via: windowUntil >= globalUntil ? 'requests' : 'global' };
  }
  return {
    tenant,
    access,
    globalAccess: global,
    window: { open, endsAt: open ? window.end : null },
    activeRequests: views.filter((r) => r.state === 'active').length,
    requests: views,
    mode,
  };
}
