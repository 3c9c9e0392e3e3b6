import { Router } from 'express';
import { clientPages } from './clients.js';
import { passwordPages } from './password.js';
import { settingPages } from './settings.js';
import { tenantPages } from './tenants.js';
import { userPages } from './users.js';

/**
 * The directory: users (staff in management), OIDC clients, tenants, settings and one's own
 * password. Every page reads and changes through the admin actions (`c.admin`), so the policy
 * decides and the audit records, as for the CLI and the JSON API.
 */
export function directoryPages(): Router {
  return Router().use(userPages(), clientPages(), tenantPages(), settingPages(), passwordPages());
}
