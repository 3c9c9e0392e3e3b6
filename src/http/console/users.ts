import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { MANAGEMENT_TENANT } from '../../tenants/tenants.js';
import type { PublicUser } from '../../users/users.js';
import { parseInput } from '../../validation.js';
import { NewUserForm, UserList, UserPage, userPath } from '../../views/console/users.js';
import { formBody } from '../forms.js';
import { consoleOf, flash, requireCsrf, sendPage, type Console } from './context.js';
import { csrfField, formMistake, manyOf, newPassword, samePassword, words } from './fields.js';

const roles = manyOf(z.string().max(40));

const newUserForm = z.object({ csrf: csrfField, username: z.string().max(300), ...newPassword, roles, scope: z.string().max(5_000).default('') });
const enabledForm = z.object({ csrf: csrfField, enabled: z.enum(['true', 'false']) });
const rolesForm = z.object({ csrf: csrfField, roles, scope: z.string().max(5_000).default('') });
const passwordForm = z.object({ csrf: csrfField, ...newPassword });

const inManagement = (c: Console) => c.tenant === MANAGEMENT_TENANT;
/** The administrator role of this tenant's console: the one nobody may take from themselves. */
const adminRole = (c: Console) => (inManagement(c) ? 'platform-admin' : 'tenant-admin');

/**
 * The scope typed in the form, for the roles ticked: a scope belongs to role support, so one typed
 * without it is a mistake to point out (not something to drop silently).
 */
function scopeFor(c: Console, form: { roles: string[]; scope: string }): string[] | undefined {
  if (!inManagement(c)) return undefined;
  const scope = words.parse(form.scope);
  if (scope.length > 0 && !form.roles.includes('support')) throw new AppError('SCOPE_WITHOUT_SUPPORT_ROLE');
  return scope;
}

/** The user a page is about, by id, read through the directory (the read is the permission check). */
async function userById(c: Console, id: string): Promise<PublicUser> {
  const user = (await c.admin.listUsers(c.tenant)).find((u) => u.id === id);
  if (!user) throw new AppError('NOT_FOUND');
  return user;
}

/**
 * Users of a customer tenant (its admin) and staff of management (the platform admin): list,
 * create, enable/disable, roles and scope, reset password. Every read and change is an admin
 * action: a support session or a plain user gets the 403 page, recorded.
 */
export function userPages(): Router {
  const router = Router();

  router.get('/users', async (_req, res, next) => {
    try {
      const c = consoleOf(res);
      const users = await c.admin.listUsers(c.tenant);
      sendPage(res, UserList({ frame: c.frame, users, management: inManagement(c) }));
    } catch (err) {
      next(err);
    }
  });

  router.get('/users/new', async (_req, res, next) => {
    try {
      const c = consoleOf(res);
      await c.admin.listUsers(c.tenant);
      sendPage(res, NewUserForm({ frame: c.frame, management: inManagement(c) }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/users', formBody, async (req, res, next) => {
    try {
      const c = consoleOf(res);
      requireCsrf(req, c);
      const form = parseInput(newUserForm, req.body, 'form');
      try {
        const password = samePassword(form);
        const scope = scopeFor(c, form);
        const user = await c.admin.createUser({ tenant: c.tenant, username: form.username, password, roles: form.roles, ...(scope ? { scope } : {}) });
        await flash(res, c, `${user.username} is created and can sign in to ${c.tenant}.`);
        res.redirect(303, userPath(c.base, user));
      } catch (err) {
        const values = { username: form.username, roles: form.roles, scope: form.scope };
        sendPage(res, NewUserForm({ frame: c.frame, management: inManagement(c), values, error: formMistake(err) }), 400);
      }
    } catch (err) {
      next(err);
    }
  });

  router.get('/users/:id', async (req, res, next) => {
    try {
      const c = consoleOf(res);
      const user = await userById(c, req.params.id);
      sendPage(res, UserPage({ frame: c.frame, user, management: inManagement(c) }));
    } catch (err) {
      next(err);
    }
  });

  /**
   * A form on a user's page: the change (it returns the words for the next page), then back to
   * the page; a mistake shows on the page again, with the roles as ticked.
   */
  const userForm = <S extends z.ZodType<{ csrf: string; roles?: string[]; scope?: string }>>(path: string, schema: S, change: (c: Console, user: PublicUser, form: z.output<S>) => Promise<string>) =>
    router.post(`/users/:id/${path}`, formBody, async (req, res, next) => {
      try {
        const c = consoleOf(res);
        requireCsrf(req, c);
        const form = parseInput(schema, req.body, 'form');
        const user = await userById(c, req.params.id);
        try {
          await flash(res, c, await change(c, user, form));
          res.redirect(303, userPath(c.base, user));
        } catch (err) {
          const values = form.roles ? { roles: form.roles, scope: form.scope ?? '' } : undefined;
          sendPage(res, UserPage({ frame: c.frame, user, management: inManagement(c), error: formMistake(err), ...(values ? { values } : {}) }), 400);
        }
      } catch (err) {
        next(err);
      }
    });

  userForm('enabled', enabledForm, async (c, user, form) => {
    const enabled = form.enabled === 'true';
    if (!enabled && user.id === c.user.id) throw new AppError('OWN_ACCOUNT_DISABLE');
    await c.admin.setUser({ tenant: c.tenant, username: user.username, enabled });
    return enabled ? `${user.username} is enabled and can sign in again.` : `${user.username} is disabled: they cannot sign in, and their sessions end on their next click.`;
  });

  userForm('roles', rolesForm, async (c, user, form) => {
    const role = adminRole(c);
    if (user.id === c.user.id && user.roles.includes(role) && !form.roles.includes(role)) throw new AppError('OWN_ADMIN_ROLE', undefined, { params: { role } });
    const scope = scopeFor(c, form);
    await c.admin.setUser({ tenant: c.tenant, username: user.username, roles: form.roles, ...(scope ? { scope } : {}) });
    return `The roles of ${user.username} are saved.`;
  });

  userForm('password', passwordForm, async (c, user, form) => {
    await c.admin.setUser({ tenant: c.tenant, username: user.username, password: samePassword(form) });
    return `The password of ${user.username} is set. Tell them through a channel you trust.`;
  });

  return router;
}
