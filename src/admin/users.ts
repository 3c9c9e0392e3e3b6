import type { Party } from '../audit/entry.js';
import { accessReductions, changedFields, createUser as createUserRecord, setUser as changeUser, toPublicUser, type User } from '../users/users.js';
import { named, type AdminContext, type AdminRunner } from './context.js';

const userParty = (u: Pick<User, 'id' | 'username' | 'tenant'>): Party => ({ type: 'user', id: u.id, name: u.username, tenant: u.tenant });

/** Users: create, change (enabled, roles, scope, password). */
export function userActions({ domain }: AdminContext, admin: AdminRunner) {
  return {
    /** The tenant's users, without their password hashes. */
    listUsers: (tenant: string) => admin.read('user.list', { tenant }, async () => (await domain.users.list(tenant)).map(toPublicUser)),

    createUser: (input: Parameters<typeof createUserRecord>[1]) =>
      admin.act({
        permission: 'user.create',
        target: { tenant: input.tenant },
        entry: { tenant: input.tenant, action: 'user.created', subject: named('user', input.username, input.tenant) },
        run: async () => {
          const user = await createUserRecord(domain, input);
          return { value: user, subject: userParty(user), details: { roles: user.roles, scope: user.scope }, undo: () => domain.users.remove(user) };
        },
      }),

    /** A change that takes support access away is published, so every gateway ends what it ends. */
    setUser: async (input: Parameters<typeof changeUser>[1]) => {
      // A password is its own permission (one's own may be changed where other changes may not).
      const onlyPassword = input.password !== undefined && input.enabled === undefined && input.roles === undefined && input.scope === undefined;
      const existing = await domain.users.findByUsername(input.tenant, input.username).catch(() => null);
      const changes = await admin.act({
        permission: onlyPassword ? 'user.password.set' : 'user.update',
        target: { tenant: input.tenant, userId: existing?.id },
        entry: { tenant: input.tenant, action: 'user.updated', subject: named('user', input.username, input.tenant) },
        run: async () => {
          const { before, after } = await changeUser(domain, input);
          return {
            value: { before, after },
            subject: userParty(after),
            details: { changed: changedFields(before, after), enabled: after.enabled, roles: after.roles, scope: after.scope },
            undo: () => domain.users.update(after.tenant, after.id, () => before),
          };
        },
        events: ({ before, after }) => accessReductions(before, after),
      });
      return changes.after;
    },
  };
}
