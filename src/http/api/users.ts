import { z } from 'zod';
import { toPublicUser } from '../../users/users.js';
import { route } from './route.js';
import { publicUser, tenantParam, tenantPath } from './schemas.js';

const userPath = z.object({ tenant: tenantParam, username: z.string().max(100).meta({ description: 'The username (case-insensitive)', example: 'john' }) });

const roles = z.array(z.string()).meta({ description: 'user, tenant-admin, auditor; in management also platform-admin and support', example: ['user'] });
const scope = z.array(z.string()).meta({ description: 'Support users only: tenant ids, or ["*"]' });

const createBody = z
  .strictObject({
    username: z.string().meta({ example: 'mary' }),
    password: z.string().meta({ description: 'At least 8 characters; stored only as an argon2id hash' }),
    roles: roles.optional(),
    scope: scope.optional(),
  })
  .meta({ id: 'UserInput' });

const changeBody = z
  .strictObject({ enabled: z.boolean().optional(), roles: roles.optional(), scope: scope.optional() })
  .refine((b) => Object.keys(b).length > 0, 'give enabled, roles or scope')
  .meta({ id: 'UserChange' });

const passwordBody = z.strictObject({ password: z.string() }).meta({ id: 'PasswordInput' });

/** The tenant's users (a tenant admin's; in management, the platform admin's). Never a password hash. */
export const userRoutes = [
  route({
    id: 'listUsers',
    method: 'get',
    path: '/{tenant}/users',
    tag: 'users',
    summary: "The tenant's users",
    permission: 'user.list',
    params: tenantPath,
    answer: { status: 200, description: 'The users, oldest first', schema: z.array(publicUser) },
    run: ({ admin, caller }) => admin.listUsers(caller.tenant),
  }),
  route({
    id: 'createUser',
    method: 'post',
    path: '/{tenant}/users',
    tag: 'users',
    summary: 'Creates a user',
    permission: 'user.create',
    params: tenantPath,
    body: createBody,
    answer: { status: 201, description: 'The user', schema: publicUser },
    run: async ({ admin, caller, body }) => toPublicUser(await admin.createUser({ tenant: caller.tenant, ...body })),
  }),
  route({
    id: 'updateUser',
    method: 'patch',
    path: '/{tenant}/users/{username}',
    tag: 'users',
    summary: "Enables or disables a user, or sets its roles or scope (what is not given stays)",
    description: 'Disabling a user, or taking support access away, ends the sessions that depended on it at once.',
    permission: 'user.update',
    params: userPath,
    body: changeBody,
    answer: { status: 200, description: 'The user as changed', schema: publicUser },
    run: async ({ admin, caller, params, body }) => toPublicUser(await admin.setUser({ tenant: caller.tenant, username: params.username, ...body })),
  }),
  route({
    id: 'setUserPassword',
    method: 'put',
    path: '/{tenant}/users/{username}/password',
    tag: 'users',
    summary: "Sets a user's password (one's own, or as an administrator another's)",
    permission: 'user.password.set',
    params: userPath,
    body: passwordBody,
    answer: { status: 204, description: 'Set' },
    run: async ({ admin, caller, params, body }) => {
      await admin.setUser({ tenant: caller.tenant, username: params.username, password: body.password });
    },
  }),
];
