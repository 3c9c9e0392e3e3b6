/**
 * The administrative actions (SPEC §1, §6): the CLI, the demo, and later the console and the
 * JSON API call these rather than the stores. Each is authorize → domain rule → audited →
 * publish, for one caller (a Principal): no change goes unaudited, and nobody does what the
 * policy does not allow.
 */
import type { AuditContext } from '../audit/audited.js';
import type { Domain } from '../domain.js';
import type { Logger } from '../logger.js';
import { auditActions } from './audit.js';
import { clientActions } from './clients.js';
import { keyActions } from './keys.js';
import { resealActions } from './reseal.js';
import { adminRunner, type AdminContext } from './context.js';
import type { Principal } from './principal.js';
import { settingActions } from './settings.js';
import { supportActions } from './support.js';
import { tenantActions } from './tenants.js';
import { userActions } from './users.js';

export type { Principal } from './principal.js';

/** Every admin action, for one caller. The CLI's caller is the operator (shell + Redis access). */
export function adminFor(domain: Domain, audit: AuditContext, principal: Principal, logger?: Logger) {
  const c: AdminContext = { domain, principal, audit, logger };
  const admin = adminRunner(c);
  return {
    ...tenantActions(c, admin),
    ...userActions(c, admin),
    ...clientActions(c, admin),
    ...settingActions(c, admin),
    ...supportActions(c, admin),
    ...auditActions(c, admin),
    ...keyActions(c, admin),
    ...resealActions(c, admin),
  };
}

export type Admin = ReturnType<typeof adminFor>;

/** The actions of the platform's operator (the CLI, the demo, tests): named in the entries by `audit.who`. */
export function operatorAdmin(domain: Domain, audit: AuditContext, logger?: Logger): Admin {
  return adminFor(domain, audit, { kind: 'operator', name: audit.who }, logger);
}
