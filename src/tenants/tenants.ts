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
});

/** Creates a tenant (id per SPEC §2, unique domains), active from the start. */
export async function createTenant(
  store: TenantStore,
  clock: Clock,
  input: { id: string; name?: string | undefined; domains?: string[] | undefined },
): Promise<Tenant> {
  const parsed = parseInput(createTenantInput, input, 'tenant');
  const domains = [...new Set(parsed.domains)];
  const tenant: Tenant = {
    id: parsed.id,
    name: parsed.name ?? parsed.id,
    domains,
    status: 'active',
    createdAt: new Date(clock.now()).toISOString(),
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
  tenant: Tenant;
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
  return { tenant, before, changed: before !== status };
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
