import { Router, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { SETTING_KEYS, type Settings } from '../../settings/settings.js';
import { globalAccess } from '../../support-access/window.js';
import { MANAGEMENT_TENANT } from '../../tenants/tenants.js';
import { parseInput } from '../../validation.js';
import { formatTime, period } from '../../views/console/format.js';
import { GlobalSettingsPage, TenantSettingsPage } from '../../views/console/settings.js';
import { formBody } from '../forms.js';
import { consoleOf, flash, requireCsrf, sendPage, type Console } from './context.js';
import { csrfField, formMistake } from './fields.js';

const settingForm = z.object({
  csrf: csrfField,
  key: z.enum(SETTING_KEYS),
  value: z.string().max(100).default(''),
  access: z.enum(['off', 'on', 'until']).optional(),
  until: z.string().max(100).default(''),
});

/** A datetime-local value ("2026-12-01T18:00"), read as UTC; anything else is passed on as typed (an ISO date-time). */
function untilValue(until: string): string {
  const typed = until.trim();
  if (typed === '') throw new AppError('GLOBAL_ACCESS_UNTIL_MISSING');
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(typed)) return `${typed}:00Z`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(typed)) return `${typed}Z`;
  return typed;
}

/** The value setSetting is given for what the form says. */
function settingValue(form: z.infer<typeof settingForm>): string {
  if (form.key !== 'support.globalAccess') return form.value.trim();
  const access = form.access ?? (form.value === 'true' ? 'on' : form.value === 'false' ? 'off' : 'until');
  return access === 'off' ? 'false' : access === 'on' ? 'true' : untilValue(form.until || form.value);
}

/** The saved change in a sentence, for the next page. */
function savedWords(c: Console, key: keyof Settings, after: unknown): string {
  switch (key) {
    case 'support.globalAccess':
      return after === true ? 'Global support access is on, with no end.' : after === false ? 'Global support access is off.' : `Global support access is on until ${formatTime(Date.parse(String(after)))}.`;
    case 'support.requestHours':
      return `A support request now lasts ${period(Number(after))} unless its user chooses otherwise.`;
    case 'support.maxRequestHours':
      return `Users may now choose support periods of up to ${period(Number(after))}.`;
    case 'support.mode':
      if (c.tenant === MANAGEMENT_TENANT) return `The global support mode is now ${String(after)}.`;
      return after === 'inherit' ? `${c.tenant} follows the global support mode.` : `Support sessions in ${c.tenant} are now ${String(after)}.`;
  }
}

/** The settings page of this console: the global settings in management, the tenant's mode elsewhere. */
async function showSettings(res: Response, c: Console, error?: string, status = 200): Promise<void> {
  if (c.tenant === MANAGEMENT_TENANT) {
    const { global } = await c.admin.getSettings();
    sendPage(res, GlobalSettingsPage({ frame: c.frame, settings: global, access: globalAccess(global['support.globalAccess'], c.frame.now), error }), status);
    return;
  }
  const { mode } = await c.admin.getSettings(c.tenant);
  sendPage(res, TenantSettingsPage({ frame: c.frame, mode: mode!, error }), status);
}

/**
 * Settings: the platform admin's global support settings (management), a tenant admin's stricter
 * support mode (a customer tenant). Each form saves one setting through `setSetting`; a value it
 * refuses comes back above the form in its words.
 */
export function settingPages(): Router {
  const router = Router();

  router.get('/settings', async (_req, res, next) => {
    try {
      await showSettings(res, consoleOf(res));
    } catch (err) {
      next(err);
    }
  });

  router.post('/settings', formBody, async (req, res, next) => {
    try {
      const c = consoleOf(res);
      requireCsrf(req, c);
      const form = parseInput(settingForm, req.body, 'form');
      try {
        const tenant = c.tenant === MANAGEMENT_TENANT ? undefined : c.tenant;
        const changed = await c.admin.setSetting(form.key, settingValue(form), tenant);
        await flash(res, c, savedWords(c, changed.key, changed.after));
        res.redirect(303, `${c.base}/settings`);
      } catch (err) {
        await showSettings(res, c, formMistake(err), 400);
      }
    } catch (err) {
      next(err);
    }
  });

  return router;
}
