import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { Tenant } from '../../tenants/tenants.js';
import { parseInput } from '../../validation.js';
import { SuspendConfirm, TenantList, TenantPage, tenantPath } from '../../views/console/tenants.js';
import { formBody } from '../forms.js';
import { consoleOf, flash, requireCsrf, sendPage, type Console } from './context.js';
import { csrfField, formMistake, words } from './fields.js';

const newTenantForm = z.object({ csrf: csrfField, id: z.string().max(100), name: z.string().max(300).default(''), domains: z.string().max(5_000).default('') });
const csrfOnly = z.object({ csrf: csrfField });

/** The tenant a page is about, read through the tenant list (the read is the permission check). */
async function tenantById(c: Console, id: string): Promise<Tenant> {
  const tenant = (await c.admin.listTenants()).find((t) => t.id === id);
  if (!tenant) throw new AppError('TENANT_NOT_FOUND', undefined, { params: { tenant: id.slice(0, 63) } });
  return tenant;
}

/**
 * The platform admin's tenants (management console): list and create, each tenant's support
 * properties, suspend (after a confirmation saying what ends) and resume.
 */
export function tenantPages(): Router {
  const router = Router();

  router.get('/tenants', async (_req, res, next) => {
    try {
      const c = consoleOf(res);
      sendPage(res, TenantList({ frame: c.frame, tenants: await c.admin.listTenants() }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/tenants', formBody, async (req, res, next) => {
    try {
      const c = consoleOf(res);
      requireCsrf(req, c);
      const form = parseInput(newTenantForm, req.body, 'form');
      try {
        const name = form.name.trim();
        const tenant = await c.admin.createTenant({ id: form.id.trim(), ...(name ? { name } : {}), domains: words.parse(form.domains) });
        await flash(res, c, `Tenant ${tenant.id} is created. Its first administrator is made by the platform operator: supportgate user create ${tenant.id} <username> --password-stdin --role tenant-admin.`);
        res.redirect(303, tenantPath(c.base, tenant.id));
      } catch (err) {
        const error = formMistake(err);
        sendPage(res, TenantList({ frame: c.frame, tenants: await c.admin.listTenants(), values: form, error }), 400);
      }
    } catch (err) {
      next(err);
    }
  });

  router.get('/tenants/:id', async (req, res, next) => {
    try {
      const c = consoleOf(res);
      const tenant = await tenantById(c, req.params.id);
      sendPage(res, TenantPage({ frame: c.frame, tenant, status: await c.admin.supportStatus(tenant.id) }));
    } catch (err) {
      next(err);
    }
  });

  router.get('/tenants/:id/suspend', async (req, res, next) => {
    try {
      const c = consoleOf(res);
      sendPage(res, SuspendConfirm({ frame: c.frame, tenant: await tenantById(c, req.params.id) }));
    } catch (err) {
      next(err);
    }
  });

  // Suspend and resume: the same form, each its own admin action and words.
  const statusChanges = [
    ['suspend', (c: Console, id: string) => c.admin.suspendTenant(id), (id: string) => `${id} is suspended: every session of the tenant has ended.`, (id: string) => `${id} was already suspended.`],
    ['resume', (c: Console, id: string) => c.admin.resumeTenant(id), (id: string) => `${id} is active again; its users can sign in. Sessions the suspension ended stay ended.`, (id: string) => `${id} was already active.`],
  ] as const;
  for (const [path, act, changed, unchanged] of statusChanges) {
    router.post(`/tenants/:id/${path}`, formBody, async (req, res, next) => {
      try {
        const c = consoleOf(res);
        requireCsrf(req, c);
        parseInput(csrfOnly, req.body, 'form');
        const change = await act(c, req.params.id);
        await flash(res, c, (change.changed ? changed : unchanged)(change.tenant.id));
        res.redirect(303, tenantPath(c.base, change.tenant.id));
      } catch (err) {
        next(err);
      }
    });
  }

  return router;
}
