import { z } from 'zod';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { parseInput } from '../validation.js';

export const MANAGEMENT_TENANT = 'management';

export const tenantIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,62}$/, 'tenant id must be 2-63 characters: a lowercase letter, then lowercase letters, digits or -');

const domainSchema = z
  .string()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/, 'domain must be a host name such as acme.example.com');

export type TenantStatus = 'active' | 'suspended';

export interface Tenant {
  id: string;
  name: string;
  domains: string[];
  status: TenantStatus;
  createdAt: string;
  /**
   * When the tenant was last suspended. Every session and token of the tenant older than this is
   * dead, even after a resume, even if no gateway heard of the suspension when it happened.
   */
  suspendedAt?: string;
  /** When it was last resumed (tells records of the suspension's own second apart, see the adapter). */
  resumedAt?: string;
  /**
   * The parent domain the forward-auth cookie is set for, so one sign-in serves every app of the
   * tenant under it (e.g. shop.example for app.shop.example and admin.shop.example); null: each
   * app host gets its own cookie. Records stored before it existed have none: read it with
   * `cookieDomainOf`. Rules: `checkCookieDomain`.
   */
  cookieDomain?: string | null;
  /**
   * Whose keys the tenant's issuer signs with: its own (a token of this tenant never verifies
   * against another tenant's JWKS; the default for tenants created since keys rotate) or the
   * platform's (every tenant stored before that). See src/secrets/signing-keys.ts.
   */
  signingKeys?: 'own' | 'platform';
}

/** Storage the tenants domain needs; the Redis implementation sits beside it. */
export interface TenantStore {
  /** Stores a new tenant and its domains atomically; refuses an existing id or a taken domain. */
  create(tenant: Tenant): Promise<void>;
  get(id: string): Promise<Tenant | null>;
  findByDomain(domain: string): Promise<Tenant | null>;
  /** All tenants, oldest first. */
  list(): Promise<Tenant[]>;
  /** Removes a tenant record and its domains (undoing a creation whose audit entry failed). */
  remove(tenant: Tenant): Promise<void>;
  /**
   * Read-modify-write of one tenant (compare-and-set, retried on a lost race); TENANT_NOT_FOUND
   * when there is none. Id and domains are indexed and cannot change this way.
   */
  update(id: string, mutate: (tenant: Tenant) => Tenant): Promise<Tenant>;
}

const createTenantInput = z.object({
  id: tenantIdSchema,
  name: z.string().trim().min(1, 'name must not be empty').max(200, 'name must be at most 200 characters').optional(),
  domains: z.array(domainSchema).max(20, 'at most 20 domains').default([]),
  // Its form and its place among the tenants are checked by checkCookieDomain, with its own words.
  cookieDomain: z.string().nullable().optional(),
  signingKeys: z.enum(['own', 'platform'], { error: 'signing keys must be own or platform' }).default('own'),
});

/** A tenant as answers show it: `cookieDomain` always present (null for records stored before it existed). */
export type TenantView = Tenant & { cookieDomain: string | null; signingKeys: 'own' | 'platform' };

/** The tenant's cookie domain; null when it has none, also for records stored before the field existed. */
export function cookieDomainOf(tenant: Tenant): string | null {
  return tenant.cookieDomain ?? null;
}

/** The tenant with `cookieDomain` spelt out. */
export function tenantView(tenant: Tenant): TenantView {
  return { ...tenant, cookieDomain: cookieDomainOf(tenant), signingKeys: tenant.signingKeys ?? 'platform' };
}

/** Whether `host` is `domain` or lies under it, at a dot: x.shop.example is under shop.example, evilshop.example is not. */
export function isSameOrUnder(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

type TenantDomains = Pick<Tenant, 'id' | 'domains'>;

/**
 * The cookie domain `tenant` may use, lowercased (null stays null: no shared cookie is always
 * allowed). A browser sends a cookie set for a domain to that domain and every host under it, so
 * the cookie domain must cover at least one of the tenant's own domains (else it serves none of
 * its apps) and no domain of any other tenant (else the tenant's sign-in would reach the other
 * tenant's apps). The management tenant has no forward-auth apps and takes none.
 */
export function checkCookieDomain(cookieDomain: string | null, tenant: TenantDomains, others: readonly TenantDomains[]): string | null {
  if (cookieDomain === null) return null;
  const shown = cookieDomain.slice(0, 253);
  if (tenant.id === MANAGEMENT_TENANT) throw new AppError('COOKIE_DOMAIN_MANAGEMENT');
  const parsed = domainSchema.safeParse(cookieDomain);
  if (!parsed.success) throw new AppError('COOKIE_DOMAIN_INVALID', undefined, { params: { domain: shown } });
  const domain = parsed.data;
  if (!tenant.domains.some((own) => isSameOrUnder(own, domain))) {
    throw new AppError('COOKIE_DOMAIN_NOT_OWN', undefined, { params: { domain, tenant: tenant.id, domains: tenant.domains.join(', ') || 'none' } });
  }
  for (const other of others) {
    const covered = other.id === tenant.id ? undefined : other.domains.find((d) => isSameOrUnder(d, domain));
    if (covered) throw new AppError('COOKIE_DOMAIN_COVERS_OTHER', undefined, { params: { domain, covered, tenant: other.id } });
  }
  return domain;
}

/**
 * The other side of the same rule: a new tenant's domain must not lie under another tenant's
 * cookie domain, or that tenant's sign-in cookie would reach the new tenant's apps.
 */
function requireOutsideCookieDomains(domains: readonly string[], others: readonly Tenant[]): void {
  for (const other of others) {
    const cookieDomain = cookieDomainOf(other);
    const under = cookieDomain === null ? undefined : domains.find((d) => isSameOrUnder(d, cookieDomain));
    if (under) throw new AppError('DOMAIN_UNDER_COOKIE_DOMAIN', undefined, { params: { domain: under, cookieDomain: cookieDomain!, tenant: other.id } });
  }
}

/**
 * Creates a tenant (id per SPEC §2, unique domains, an optional cookie domain), active from the
 * start. The cookie-domain rules read the other tenants before the store writes: two creations
 * racing could each pass against a list without the other. Tenants are created by platform
 * admins, rarely and by hand, so that window is accepted rather than moving the rule into the
 * store's script.
 */
export async function createTenant(
  store: TenantStore,
  clock: Clock,
  input: { id: string; name?: string | undefined; domains?: string[] | undefined; cookieDomain?: string | null | undefined; signingKeys?: 'own' | 'platform' | undefined },
): Promise<TenantView> {
  const parsed = parseInput(createTenantInput, input, 'tenant');
  const domains = [...new Set(parsed.domains)];
  const others = parsed.cookieDomain || domains.length > 0 ? (await store.list()).filter((t) => t.id !== parsed.id) : [];
  requireOutsideCookieDomains(domains, others);
  const tenant: TenantView = {
    id: parsed.id,
    name: parsed.name ?? parsed.id,
    domains,
    status: 'active',
    createdAt: new Date(clock.now()).toISOString(),
    cookieDomain: checkCookieDomain(parsed.cookieDomain ?? null, { id: parsed.id, domains }, others),
    signingKeys: parsed.signingKeys,
  };
  await store.create(tenant);
  return tenant;
}

/** The management tenant exists from the first start; safe to call from several processes at once. */
export async function ensureManagementTenant(store: TenantStore, clock: Clock): Promise<Tenant> {
  const existing = await store.get(MANAGEMENT_TENANT);
  if (existing) return existing;
  try {
    return await createTenant(store, clock, { id: MANAGEMENT_TENANT, name: 'Management' });
  } catch (err) {
    if (err instanceof AppError && err.code === 'TENANT_EXISTS') return (await store.get(MANAGEMENT_TENANT))!;
    throw err;
  }
}

/** The tenant, or TENANT_NOT_FOUND naming it. */
export async function requireTenant(store: TenantStore, id: string): Promise<Tenant> {
  const tenant = tenantIdSchema.safeParse(id).success ? await store.get(id) : null;
  if (!tenant) throw new AppError('TENANT_NOT_FOUND', undefined, { params: { tenant: id } });
  return tenant;
}

/** A status change as it happened: `changed` is false when the tenant already had that status. */
export interface TenantStatusChange {
  tenant: TenantView;
  before: TenantStatus;
  changed: boolean;
}

/** Sets the status; asking for the status a tenant already has changes nothing and says so. */
async function setTenantStatus(store: TenantStore, clock: Clock, id: string, status: TenantStatus): Promise<TenantStatusChange> {
  await requireTenant(store, id);
  let before: TenantStatus = status;
  const tenant = await store.update(id, (current) => {
    before = current.status;
    if (current.status === status) return current;
    const at = new Date(clock.now()).toISOString();
    return { ...current, status, ...(status === 'suspended' ? { suspendedAt: at } : { resumedAt: at }) };
  });
  return { tenant: tenantView(tenant), before, changed: before !== status };
}

/**
 * Suspends a tenant: its issuer stops answering and its sessions end (the caller publishes the
 * event). Suspending a suspended tenant is a success that changes nothing (`changed: false`), so
 * repeating it is always safe. The management tenant can never be suspended: it holds the staff
 * who would resume it.
 */
export async function suspendTenant(deps: { tenants: TenantStore; clock: Clock }, id: string): Promise<TenantStatusChange> {
  if (id === MANAGEMENT_TENANT) throw new AppError('MANAGEMENT_NOT_SUSPENDABLE');
  return setTenantStatus(deps.tenants, deps.clock, id, 'suspended');
}

/** Makes a suspended tenant active again; resuming an active tenant changes nothing (`changed: false`). */
export async function resumeTenant(deps: { tenants: TenantStore; clock: Clock }, id: string): Promise<TenantStatusChange> {
  return setTenantStatus(deps.tenants, deps.clock, id, 'active');
}

/** A cookie-domain change as it happened: `changed` is false when the tenant already had that value. */
export interface TenantCookieDomainChange {
  tenant: TenantView;
  before: string | null;
  changed: boolean;
}

/**
 * Sets (or, with null, clears) a tenant's cookie domain, checked against the other tenants as
 * they are now (the same accepted window as createTenant's). The domains it is checked against
 * cannot change under it: a tenant's domains are fixed at its creation.
 */
export async function setTenantCookieDomain(deps: { tenants: TenantStore }, id: string, cookieDomain: string | null): Promise<TenantCookieDomainChange> {
  const current = await requireTenant(deps.tenants, id);
  const others = cookieDomain === null ? [] : (await deps.tenants.list()).filter((t) => t.id !== id);
  const after = checkCookieDomain(cookieDomain, current, others);
  let before: string | null = after;
  const tenant = await deps.tenants.update(id, (t) => {
    before = cookieDomainOf(t);
    return before === after ? t : { ...t, cookieDomain: after };
  });
  return { tenant: tenantView(tenant), before, changed: before !== after };
}
