/**
 * The one permission seam (SPEC §1-§2): who may do which admin action in which tenant. Pure: the
 * caller supplies the principal and the target; every admin action asks `authorize` first,
 * whoever calls it (CLI, console, API). Domain rules (e.g. "a request needs an active tenant")
 * still run after it: this file says who, not whether the change itself is valid.
 */
import { AppError, ERRORS, type ErrorKey } from '../errors.js';
import type { ApiScopeValue } from '../clients/clients.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import type { Role } from '../users/users.js';
import type { ClientPrincipal, Principal, UserPrincipal } from './principal.js';

export const ADMIN_ACTIONS = [
  'tenant.create',
  'tenant.list',
  'tenant.suspend',
  'tenant.resume',
  /** Tenant properties that are no status: the forward-auth cookie domain. */
  'tenant.update',
  'user.create',
  /** Enable/disable, roles, scope. */
  'user.update',
  /** Own password (target.userId is the principal's) or another user's. */
  'user.password.set',
  'user.list',
  'client.create',
  'client.list',
  'client.rotate-secret',
  /** Redirect and post-logout redirect URIs. */
  'client.update',
  /** target.tenant management: the global settings; another tenant: its own settings. */
  'settings.get',
  /** The global settings (target.tenant must be management). */
  'settings.set',
  /** A tenant's own, stricter support mode. */
  'settings.set-tenant-mode',
  /** "Enable support": a request of the principal itself. */
  'support.open',
  /** "Disable support": the principal's own requests. */
  'support.close',
  /** A tenant admin closing every request of the tenant. */
  'support.close-all',
  /** Tenant properties: global access, window, requests, last support logins. */
  'support.status',
  'audit.query',
  'audit.export',
  'audit.verify',
  /** Rotating (and listing) a tenant's own signing keys, or the platform's (target.tenant management). */
  'keys.rotate',
] as const;

export type AdminAction = (typeof ADMIN_ACTIONS)[number];

/** What the action is done to: a tenant (for tenant.* the tenant acted on), and a user where one is meant. */
export interface AdminTarget {
  tenant: string;
  userId?: string | undefined;
}

/** Each stable refusal reason and its catalogue entry (a FORBIDDEN refinement: the words live in src/errors.ts). */
export const REFUSALS = {
  'support-session-never-manages': 'FORBIDDEN_SUPPORT_SESSION',
  'other-tenant': 'FORBIDDEN_OTHER_TENANT',
  'not-an-admin': 'FORBIDDEN_NOT_ADMIN',
  'auditor-only-reads': 'FORBIDDEN_AUDITOR_READS_ONLY',
  'auditors-only': 'FORBIDDEN_AUDITORS_ONLY',
  'platform-admin-only': 'FORBIDDEN_PLATFORM_ADMIN_ONLY',
  'management-needs-platform-admin': 'FORBIDDEN_MANAGEMENT_PLATFORM_ADMIN',
  'management-never-a-support-target': 'FORBIDDEN_MANAGEMENT_SUPPORT_TARGET',
  'tenant-directory-belongs-to-tenant': 'FORBIDDEN_TENANT_DIRECTORY',
  'tenant-owns-its-mode': 'FORBIDDEN_TENANT_OWNS_MODE',
  'settings-are-global': 'FORBIDDEN_SETTINGS_GLOBAL',
  'client-action-not-grantable': 'FORBIDDEN_CLIENT_ACTION',
  'client-scope-missing': 'FORBIDDEN_CLIENT_SCOPE',
  'token-scope-missing': 'FORBIDDEN_TOKEN_SCOPE',
} as const satisfies Record<string, ErrorKey>;

export type RefusalReason = keyof typeof REFUSALS;

/** Every message a refused principal can see, by its stable reason (the catalogue's words). */
export const REFUSAL_MESSAGES = Object.fromEntries(
  Object.entries(REFUSALS).map(([reason, key]) => [reason, ERRORS[key].message]),
) as Readonly<Record<RefusalReason, string>>;

export type Decision = { allowed: true } | { allowed: false; reason: RefusalReason; message: string };

const ALLOW: Decision = { allowed: true };
const refuse = (reason: RefusalReason): Decision => ({ allowed: false, reason, message: REFUSAL_MESSAGES[reason] });

const has = (p: UserPrincipal, role: Role) => p.roles.includes(role);
/** Management-only roles count only in management, whatever a forged role list says. */
const isPlatformAdmin = (p: UserPrincipal) => p.tenant === MANAGEMENT_TENANT && has(p, 'platform-admin');
/** A customer tenant's admin; tenant-admin in management grants nothing (see `directory`). */
const isTenantAdminOf = (p: UserPrincipal, tenant: string) => tenant !== MANAGEMENT_TENANT && p.tenant === tenant && has(p, 'tenant-admin');
const isSelf = (p: UserPrincipal, t: AdminTarget) => t.tenant === p.tenant && t.userId === p.userId;

/** The most telling reason when no rule below allowed the action. */
function refusalFor(p: UserPrincipal, t: AdminTarget): Decision {
  if (t.tenant === MANAGEMENT_TENANT && p.tenant === MANAGEMENT_TENANT && has(p, 'tenant-admin')) return refuse('management-needs-platform-admin');
  if (t.tenant !== p.tenant) return refuse('other-tenant');
  if (has(p, 'auditor') && !has(p, 'tenant-admin') && !isPlatformAdmin(p)) return refuse('auditor-only-reads');
  return refuse('not-an-admin');
}

type UserRule = (p: UserPrincipal, t: AdminTarget) => Decision;

/** §1 platform admin sets "the global support settings, tenants": nobody else, any tenant as target. */
const platformAdmin: UserRule = (p) => (isPlatformAdmin(p) ? ALLOW : refuse('platform-admin-only'));

/**
 * §1 tenant admin "manages users and OIDC clients of the tenant"; platform admin manages "support
 * users and their scopes" (management). A platform admin does NOT manage a customer tenant's users
 * or clients (unlike Keycloak's master realm): the product's promise is that the provider's staff
 * enter a tenant only through a support login the tenant allowed, recorded as jill$john; setting
 * john's password or creating a tenant admin would bypass that. First admins come from the CLI
 * operator. A `tenant-admin` of management gets no rights there: it could otherwise grant itself
 * platform-admin.
 */
const directory: UserRule = (p, t) => {
  if (t.tenant === MANAGEMENT_TENANT) return isPlatformAdmin(p) ? ALLOW : refusalFor(p, t);
  if (isTenantAdminOf(p, t.tenant)) return ALLOW;
  return isPlatformAdmin(p) ? refuse('tenant-directory-belongs-to-tenant') : refusalFor(p, t);
};

/** §2 global settings live in management; a tenant's own settings are read by its admin, and by the platform admin as tenant properties. */
const settingsRead: UserRule = (p, t) => {
  if (isPlatformAdmin(p) || isTenantAdminOf(p, t.tenant)) return ALLOW;
  return refusalFor(p, t);
};

/** §1/§2 the platform admin sets "the global support settings (in the management tenant)". */
const globalSettings: UserRule = (p, t) => {
  if (!isPlatformAdmin(p)) return refuse('platform-admin-only');
  return t.tenant === MANAGEMENT_TENANT ? ALLOW : refuse('settings-are-global');
};

/**
 * §2 "A tenant may set its own stricter mode": its admin, not the platform (the stricter mode is
 * the tenant's protection against the provider's staff; the platform sets only the global mode).
 */
const tenantMode: UserRule = (p, t) => {
  if (t.tenant === MANAGEMENT_TENANT) return refuse('settings-are-global');
  if (isTenantAdminOf(p, t.tenant)) return ALLOW;
  return isPlatformAdmin(p) ? refuse('tenant-owns-its-mode') : refusalFor(p, t);
};

/** §2 "Any active user of a tenant may open one" / closes "the requests that user opened"; management is never a target. */
const ownRequest: UserRule = (p, t) => {
  if (t.tenant === MANAGEMENT_TENANT) return refuse('management-never-a-support-target');
  return t.tenant === p.tenant ? ALLOW : refusalFor(p, t);
};

/** §2 "a tenant-admin closing support closes all requests of the tenant". */
const closeAll: UserRule = (p, t) => {
  if (t.tenant === MANAGEMENT_TENANT) return refuse('management-never-a-support-target');
  return isTenantAdminOf(p, t.tenant) ? ALLOW : refusalFor(p, t);
};

/**
 * §2 "Tenant status": every user of the tenant (the access applies to the whole tenant, so each
 * may see whether support can enter) and the platform admin (tenant properties).
 */
const supportStatus: UserRule = (p, t) => {
  if (t.tenant === MANAGEMENT_TENANT) return refuse('management-never-a-support-target');
  return t.tenant === p.tenant || isPlatformAdmin(p) ? ALLOW : refusalFor(p, t);
};

/** §1 auditor "queries and exports the audit log (a tenant auditor: own tenant; a platform auditor: all tenants)". */
const auditRead: UserRule = (p, t) => {
  if (!has(p, 'auditor')) return refuse('auditors-only');
  return p.tenant === MANAGEMENT_TENANT || t.tenant === p.tenant ? ALLOW : refuse('other-tenant');
};

/** One rule per action, for signed-in users; operators, support sessions and clients are decided before. */
const USER_RULES: Record<AdminAction, UserRule> = {
  'tenant.create': platformAdmin,
  'tenant.list': platformAdmin,
  'tenant.suspend': platformAdmin,
  'tenant.resume': platformAdmin,
  'tenant.update': platformAdmin,
  'user.create': directory,
  'user.update': directory,
  // §2: a support session may not change passwords (decided before); a user may change its own.
  'user.password.set': (p, t) => (isSelf(p, t) ? ALLOW : directory(p, t)),
  'user.list': directory,
  'client.create': directory,
  'client.list': directory,
  'client.rotate-secret': directory,
  'client.update': directory,
  'settings.get': settingsRead,
  'settings.set': globalSettings,
  'settings.set-tenant-mode': tenantMode,
  'support.open': ownRequest,
  'support.close': ownRequest,
  'support.close-all': closeAll,
  'support.status': supportStatus,
  'audit.query': auditRead,
  'audit.export': auditRead,
  'audit.verify': auditRead,
  'keys.rotate': platformAdmin,
};

/**
 * What a client may be granted at all: reads of its own tenant. No writes: a support request is a
 * person's consent, passwords are set by people, and a client minting clients or users could
 * escalate past whoever granted its scopes. Widen this with a test when client credentials land.
 */
export const CLIENT_GRANTABLE: ReadonlySet<AdminAction> = new Set<AdminAction>([
  'user.list',
  'client.list',
  'settings.get',
  'support.status',
  'audit.query',
  'audit.export',
  'audit.verify',
]);

/**
 * The JSON API's scopes (SPEC §7): each admin action is covered by exactly one. A bearer token
 * may do an action only when it carries the action's scope, on top of what its holder may do: a
 * user's token given to some app of the tenant does not become that user's admin console.
 */
export const API_SCOPES = {
  'audit:read': ['audit.query', 'audit.export', 'audit.verify'],
  'support:read': ['support.status', 'settings.get'],
  'support:write': ['support.open', 'support.close', 'support.close-all'],
  'users:read': ['user.list'],
  'users:write': ['user.create', 'user.update', 'user.password.set'],
  'clients:read': ['client.list'],
  'clients:write': ['client.create', 'client.update', 'client.rotate-secret'],
  'tenants:read': ['tenant.list'],
  'tenants:write': ['tenant.create', 'tenant.suspend', 'tenant.resume', 'tenant.update', 'keys.rotate'],
  'settings:write': ['settings.set', 'settings.set-tenant-mode'],
} as const satisfies Record<ApiScopeValue, readonly AdminAction[]>;

export type ApiScope = keyof typeof API_SCOPES;
export const API_SCOPE_NAMES = Object.keys(API_SCOPES) as ApiScope[];

/** The scope a token needs for `action`. */
export function scopeFor(action: AdminAction): ApiScope {
  return API_SCOPE_NAMES.find((s) => (API_SCOPES[s] as readonly AdminAction[]).includes(action))!;
}

function authorizeClient(p: ClientPrincipal, action: AdminAction, t: AdminTarget): Decision {
  if (t.tenant !== p.tenant) return refuse('other-tenant');
  // Management is administered by people holding platform-admin, a role no client has.
  if (t.tenant === MANAGEMENT_TENANT) return refuse('management-needs-platform-admin');
  if (!CLIENT_GRANTABLE.has(action)) return refuse('client-action-not-grantable');
  return p.scopes.includes(scopeFor(action)) ? ALLOW : refuse('client-scope-missing');
}

/** May `principal` do `action` to `target`? Pure; the one permission check of every admin action. */
export function authorize(principal: Principal, action: AdminAction, target: AdminTarget): Decision {
  switch (principal.kind) {
    case 'operator':
      return ALLOW; // shell + Redis access: refusing it would protect nothing
    case 'support':
      return refuse('support-session-never-manages'); // §2: never requests, passwords, users, clients or settings
    case 'client':
      return authorizeClient(principal, action, target);
    case 'user':
      // Through the API, the token must carry the action's scope too (absent in the console).
      if (principal.scopes && !principal.scopes.includes(scopeFor(action))) return refuse('token-scope-missing');
      return USER_RULES[action](principal, target);
  }
}

/** `authorize`, throwing the refusal's catalogue entry (wire code FORBIDDEN, 403) when refused. */
export function requireAuthorized(principal: Principal, action: AdminAction, target: AdminTarget): void {
  const decision = authorize(principal, action, target);
  if (!decision.allowed) throw new AppError(REFUSALS[decision.reason]);
}
