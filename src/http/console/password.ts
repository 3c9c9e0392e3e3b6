import { Router } from 'express';
import { z } from 'zod';
import { parseInput } from '../../validation.js';
import { PasswordPage } from '../../views/console/password.js';
import { formBody } from '../forms.js';
import { consoleOf, flash, keepAfterOwnPasswordChange, requireCsrf, sendPage, type Console } from './context.js';
import { csrfField, formMistake, newPassword, samePassword } from './fields.js';

const passwordForm = z.object({ csrf: csrfField, ...newPassword });

/** The permission the change asks for: one's own password (a support session never has it). */
const ownPassword = (c: Console) => c.mayOpen('user.password.set', { tenant: c.tenant, userId: c.user.id });

/**
 * The user menu's "Change password": the signed-in user sets its own password through the same
 * admin action as everything else. A support session (jill$john) is refused on the page already,
 * and again if the form is posted anyway; both refusals are recorded.
 */
export function passwordPages(): Router {
  const router = Router();

  router.get('/password', async (_req, res, next) => {
    try {
      const c = consoleOf(res);
      await ownPassword(c);
      sendPage(res, PasswordPage({ frame: c.frame }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/password', formBody, async (req, res, next) => {
    try {
      const c = consoleOf(res);
      requireCsrf(req, c);
      const form = parseInput(passwordForm, req.body, 'form');
      // Refused before any mistake in the form is pointed out (the action asks the policy again).
      await ownPassword(c);
      try {
        const changed = await c.admin.setUser({ tenant: c.tenant, username: c.user.username, password: samePassword(form) });
        await keepAfterOwnPasswordChange(res, c, Date.parse(changed.passwordChangedAt!));
        await flash(res, c, 'Your password is changed. Use the new one from your next sign-in on.');
        res.redirect(303, c.base);
      } catch (err) {
        sendPage(res, PasswordPage({ frame: c.frame, error: formMistake(err) }), 400);
      }
    } catch (err) {
      next(err);
    }
  });

  return router;
}
