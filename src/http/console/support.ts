import { Router } from 'express';
import { z } from 'zod';
import { MANAGEMENT_TENANT } from '../../tenants/tenants.js';
import type { Settings } from '../../settings/settings.js';
import { parseInput } from '../../validation.js';
import { formatTime } from '../../views/console/format.js';
import { DisableConfirm, EnableConfirm, EnableForm, SupportHome } from '../../views/console/support.js';
import { formBody } from '../forms.js';
import { consoleOf, flash, requireCsrf, sendPage } from './context.js';

const HOUR = 3_600_000;
/** The periods offered (each up to maxRequestHours), plus whatever the default is. */
const PERIODS = [1, 2, 4, 8, 12, 24, 48, 72, 168];

const enableForm = z.object({
  csrf: z.string().max(200),
  hours: z.coerce.number().int().min(1).max(10_000),
  reason: z.string().max(500).default(''),
});

/**
 * The user menu: "Support access" with the current state, "Enable support" (period chooser →
 * confirmation → done) and "Disable support" (confirmation → done). The buttons call the same
 * admin actions as the CLI and the API: the policy refuses a support session, recorded.
 */
export function supportPages(): Router {
  const router = Router();

  router.get('/', async (_req, res, next) => {
    try {
      const c = consoleOf(res);
      const inTenant = c.tenant !== MANAGEMENT_TENANT && !c.support;
      const status = inTenant ? await c.admin.supportStatus(c.tenant) : null;
      const own = (status?.requests ?? []).filter((r) => r.openedBy.id === c.user.id).reverse();
      sendPage(res, SupportHome({ frame: c.frame, status, own, closesAll: c.user.roles.includes('tenant-admin') }));
    } catch (err) {
      next(err);
    }
  });

  const periods = async (settings: Settings) => {
    const max = settings['support.maxRequestHours'];
    return [...new Set([...PERIODS.filter((h) => h <= max), settings['support.requestHours']])].sort((a, b) => a - b);
  };

  router.get('/support/enable', async (_req, res, next) => {
    try {
      const c = consoleOf(res);
      // A support session is refused here already (and recorded), not only when it submits.
      await c.admin.supportStatus(c.tenant);
      const settings = await c.settings();
      sendPage(res, EnableForm({ frame: c.frame, hours: await periods(settings), defaultHours: settings['support.requestHours'] }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/support/enable/confirm', formBody, async (req, res, next) => {
    try {
      const c = consoleOf(res);
      requireCsrf(req, c);
      const form = parseInput(enableForm, req.body, 'form');
      const settings = await c.settings();
      const status = await c.admin.supportStatus(c.tenant);
      const max = settings['support.maxRequestHours'];
      if (form.hours > max) {
        sendPage(res, EnableForm({ frame: c.frame, hours: await periods(settings), defaultHours: settings['support.requestHours'], reason: form.reason, error: `Choose a period of at most ${max} hours.` }), 400);
        return;
      }
      // The window is prolonged from now or from its current end, whichever is later (SPEC §2).
      const from = Math.max(c.frame.now, status.window.endsAt ?? 0);
      sendPage(res, EnableConfirm({ frame: c.frame, hours: form.hours, reason: form.reason, endsAt: from + form.hours * HOUR }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/support/enable', formBody, async (req, res, next) => {
    try {
      const c = consoleOf(res);
      requireCsrf(req, c);
      const form = parseInput(enableForm, req.body, 'form');
      const opened = await c.admin.openSupport({ tenant: c.tenant, username: c.user.username, hours: form.hours, reason: form.reason });
      await flash(res, c, `Support enabled until ${formatTime(opened.window.end!)}.`);
      res.redirect(303, c.base);
    } catch (err) {
      next(err);
    }
  });

  router.get('/support/disable', async (_req, res, next) => {
    try {
      const c = consoleOf(res);
      const status = await c.admin.supportStatus(c.tenant);
      const closesAll = c.user.roles.includes('tenant-admin');
      const count = status.requests.filter((r) => r.state === 'active' && (closesAll || r.openedBy.id === c.user.id)).length;
      sendPage(res, DisableConfirm({ frame: c.frame, closesAll, count }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/support/disable', formBody, async (req, res, next) => {
    try {
      const c = consoleOf(res);
      requireCsrf(req, c);
      const result = await c.admin.closeSupport({ tenant: c.tenant, username: c.user.username });
      const open = result.window.end !== null && result.window.end > c.frame.now;
      await flash(res, c, `Support disabled: ${result.closed.length} request${result.closed.length === 1 ? '' : 's'} closed.${open ? ` Requests of other users keep it open until ${formatTime(result.window.end!)}.` : ''}`);
      res.redirect(303, c.base);
    } catch (err) {
      next(err);
    }
  });
  return router;
}
