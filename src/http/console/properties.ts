import { Router } from 'express';
import { PropertiesPage } from '../../views/console/properties.js';
import { consoleOf, sendPage } from './context.js';

/**
 * The tenant's Properties (what `supportgate support status` prints): support access, global
 * access, mode, every request and the last support logins. The policy decides who may read it
 * (every user of the tenant; never a support session, never management): refused reads are
 * recorded and shown as the console's 403 page.
 */
export function propertiesPages(): Router {
  const router = Router();

  router.get('/properties', async (_req, res, next) => {
    try {
      const c = consoleOf(res);
      const status = await c.admin.supportStatus(c.tenant);
      // Only an auditor can follow a login into the audit log; others see its name as text.
      const auditor = !c.support && c.user.roles.includes('auditor');
      sendPage(res, PropertiesPage({ frame: c.frame, status, auditor }));
    } catch (err) {
      next(err);
    }
  });
  return router;
}
