import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { AccessEvent } from '../events.js';
import { AppError } from '../errors.js';
import { MANAGEMENT_TENANT, requireTenant, tenantIdSchema, type TenantStore } from '../tenants/tenants.js';
import { parseInput } from '../validation.js';
import type { PasswordHasher } from './passwords.js';

export const TENANT_ROLES = ['user', 'tenant-admin', 'auditor'] as const;
export const MANAGEMENT_ONLY_ROLES = ['platform-admin', 'support'] as const;
export const ROLES = [...TENANT_ROLES, ...MANAGEMENT_ONLY_ROLES] as const;
export type Role = (typeof ROLES)[number];

/** `*` = every tenant but management (SPEC §2). */
export const ALL_TENANTS = '*';

export interface User {
  /** Stable opaque id: the OIDC `sub`. */
  id: string;
  tenant: string;
  username: string;
  roles: Role[];
  enabled: boolean;
  /** Support users only: tenant ids they may enter, or ['*']. */
  scope: string[];
  passwordHash: string;
  /** When the password last changed (not at creation): sessions begun before it end. */
  passwordChangedAt?: string;
  createdAt: string;
  updatedAt: string;
}

export type PublicUser = Omit<User, 'passwordHash'>;

/** A user as it may be shown anywhere: never with its hash. */
export function toPublicUser({ passwordHash: _hash, ...rest }: User): PublicUser {
  return rest;
}

/** Storage the users domain needs; the Redis implementation sits beside it. */
export interface UserStore {
  /** Stores a new user; refuses a username already taken in the tenant (case-insensitively). */
  create(user: User): Promise<void>;
  get(tenant: string, id: string): Promise<User | null>;
  findByUsername(tenant: string, username: string): Promise<User | null>;
  /** Read-modify-write of one user, safe against concurrent writers; USER_NOT_FOUND if absent. */
  update(tenant: string, id: string, mutate: (user: User) => User): Promise<User>;
  /** Users of a tenant, oldest first. */
  list(tenant: string): Promise<User[]>;
  /** Removes a user and frees its username (undoing a creation whose audit entry failed). */
  remove(user: User): Promise<void>;
}

/** The form usernames are compared in: case-insensitive, Unicode-normalised. */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}

export const usernameSchema = z
  .string()
  .transform((s) => s.normalize('NFC'))
  .pipe(
    z
      .string()
      .min(1, 'username must not be empty')
      .max(100, 'username must be at most 100 characters')
      .refine((s) => !s.includes('$'), { message: 'username must not contain "$" (it separates support user and user at login)', abort: true })
      .refine((s) => !s.includes('/'), { message: 'username must not contain "/" (it separates tenant and user at login)', abort: true })
      .refine((s) => /^[\p{L}\p{N}._@+-]+$/u.test(s), 'username may contain letters, digits and . _ @ + - only'),
  );

const passwordSchema = z
  .string()
  .min(8, 'password must have at least 8 characters')
  .max(1024, 'password must have at most 1024 characters');

const roleSchema = z.enum(ROLES, { error: `role must be one of ${ROLES.join(', ')}` });
const scopeEntry = z.union([z.literal(ALL_TENANTS), tenantIdSchema]);

export interface UserDeps {
  users: UserStore;
  tenants: TenantStore;
  hasher: PasswordHasher;
  clock: Clock;
}

/** Checks the role/scope rules of SPEC §2 for a user of `tenant`, including that scoped tenants exist. */
async function checkRolesAndScope(deps: UserDeps, tenant: string, roles: Role[], scope: string[]): Promise<void> {
  if (tenant !== MANAGEMENT_TENANT) {
    const bad = roles.filter((r) => (MANAGEMENT_ONLY_ROLES as readonly string[]).includes(r));
    if (bad.length > 0) throw new AppError('ROLE_NOT_ALLOWED', undefined, { params: { roles: bad.join(', ') } });
  }
  if (scope.length > 0 && !roles.includes('support')) {
    throw new AppError('SCOPE_NEEDS_SUPPORT_ROLE');
  }
  if (scope.includes(ALL_TENANTS) && scope.length > 1) {
    throw new AppError('SCOPE_ALL_ALONE');
  }
  for (const t of scope) {
    if (t === ALL_TENANTS) continue;
    if (t === MANAGEMENT_TENANT) throw new AppError('MANAGEMENT_NEVER_TARGET');
    await requireTenant(deps.tenants, t);
  }
}

const createUserInput = z.object({
  tenant: tenantIdSchema,
  username: usernameSchema,
  password: passwordSchema,
  roles: z.array(roleSchema).default(['user']),
  scope: z.array(scopeEntry).default([]),
});

/** Creates a user with an argon2id password hash; usernames are unique per tenant, ignoring case. */
export async function createUser(
  deps: UserDeps,
  input: { tenant: string; username: string; password: string; roles?: string[] | undefined; scope?: string[] | undefined },
): Promise<User> {
  const parsed = parseInput(createUserInput, input, 'user');
  await requireTenant(deps.tenants, parsed.tenant);
  const roles = parsed.roles.length > 0 ? [...new Set(parsed.roles)] : (['user'] as Role[]);
  const scope = [...new Set(parsed.scope)];
  await checkRolesAndScope(deps, parsed.tenant, roles, scope);
  const now = new Date(deps.clock.now()).toISOString();
  const user: User = {
    id: randomUUID(),
    tenant: parsed.tenant,
    username: parsed.username,
    roles,
    enabled: true,
    scope,
    passwordHash: await deps.hasher.hash(parsed.password),
    createdAt: now,
    updatedAt: now,
  };
  await deps.users.create(user);
  return user;
}

const setUserInput = z.object({
  tenant: tenantIdSchema,
  username: usernameSchema,
  enabled: z.boolean().optional(),
  roles: z.array(roleSchema).min(1, 'give at least one role').optional(),
  scope: z.array(scopeEntry).optional(),
  password: passwordSchema.optional(),
});

/** Changes a user's enabled flag, roles, scope or password; what is not given stays. */
export async function setUser(
  deps: UserDeps,
  input: {
    tenant: string;
    username: string;
    enabled?: boolean | undefined;
    roles?: string[] | undefined;
    scope?: string[] | undefined;
    password?: string | undefined;
  },
): Promise<{ before: User; after: User }> {
  const parsed = parseInput(setUserInput, input, 'user change');
  await requireTenant(deps.tenants, parsed.tenant);
  const existing = await deps.users.findByUsername(parsed.tenant, parsed.username);
  if (!existing) throw new AppError('USER_NOT_FOUND', undefined, { params: { username: parsed.username, tenant: parsed.tenant } });
  const roles = parsed.roles ? [...new Set(parsed.roles)] : existing.roles;
  // Losing role support drops the scope with it; a scope given alone needs the role.
  const scope = parsed.scope ? [...new Set(parsed.scope)] : roles.includes('support') ? existing.scope : [];
  await checkRolesAndScope(deps, parsed.tenant, roles, scope);
  const passwordHash = parsed.password ? await deps.hasher.hash(parsed.password) : undefined;
  let before: User | undefined;
  const after = await deps.users.update(parsed.tenant, existing.id, (current) => {
    before = current;
    return {
      ...current,
      roles,
      scope,
      enabled: parsed.enabled ?? current.enabled,
      passwordHash: passwordHash ?? current.passwordHash,
      ...(passwordHash ? { passwordChangedAt: new Date(deps.clock.now()).toISOString() } : {}),
      updatedAt: new Date(deps.clock.now()).toISOString(),
    };
  });
  return { before: before!, after };
}

export type AuthenticationResult =
  | { ok: true; user: User }
  /** `user` names an existing account (for the audit), never with its hash. */
  | { ok: false; reason: 'unknown-user' | 'wrong-password' | 'disabled'; user?: PublicUser };

/**
 * Checks a username and password in one tenant. Exactly one argon2 verify runs on every path,
 * so an unknown user takes as long as a wrong password.
 */
export async function authenticate(deps: Pick<UserDeps, 'users' | 'hasher'>, tenant: string, username: string, password: string): Promise<AuthenticationResult> {
  const valid = usernameSchema.safeParse(username);
  const user = valid.success && tenantIdSchema.safeParse(tenant).success ? await deps.users.findByUsername(tenant, valid.data) : null;
  if (!user) {
    await deps.hasher.verifyNobody(password);
    return { ok: false, reason: 'unknown-user' };
  }
  if (!(await deps.hasher.verify(user.passwordHash, password))) return { ok: false, reason: 'wrong-password', user: toPublicUser(user) };
  if (!user.enabled) return { ok: false, reason: 'disabled', user: toPublicUser(user) };
  return { ok: true, user };
}

/** What a change of a user did, by field name (for the audit entry). */
export function changedFields(before: User, after: User): string[] {
  return [
    before.enabled !== after.enabled && 'enabled',
    before.roles.join() !== after.roles.join() && 'roles',
    before.scope.join() !== after.scope.join() && 'scope',
    before.passwordHash !== after.passwordHash && 'password',
  ].filter((c): c is string => typeof c === 'string');
}

/** What a change of a user takes away from support access: the events every gateway acts on. */
export function accessReductions(before: User, after: User): AccessEvent[] {
  const events: AccessEvent[] = [];
  if (before.enabled && !after.enabled) events.push({ type: 'user.disabled', tenant: after.tenant, userId: after.id, username: after.username });
  if (before.roles.includes('support')) {
    const reason =
      !after.enabled && before.enabled ? 'disabled'
      : !after.roles.includes('support') ? 'role-removed'
      : before.scope.some((t) => !after.scope.includes(t) && !after.scope.includes('*')) ? 'scope-reduced'
      : before.passwordHash !== after.passwordHash ? 'password-changed'
      : null;
    if (reason) events.push({ type: 'support.user.reduced', userId: after.id, username: after.username, reason });
  }
  return events;
}
