import type { AuditContext } from '../audit/audited.js';
import { supportStatus } from '../support-access/support.js';
import { closeSupportRequests, openSupportRequest, restoreWindow, windowReduced, withdrawRequest } from '../support-access/support.js';
import { named, type AdminContext, type AdminRunner } from './context.js';

/** Support requests: "Enable support" and "Disable support", each recorded under the tenant user. */
export function supportActions(c: AdminContext, admin: AdminRunner) {
  const { domain } = c;
  /** An action a tenant user takes: audited under that user, the caller in details. */
  // The CLI operator acts `--as` a tenant user: recorded under that user. Anyone else (a user in the
  // console or API, a support session refused) is recorded as themselves.
  const recordAs = (ctx: AuditContext) => (c.principal.kind === 'operator' ? ctx : undefined);
  // A person (console, API) enables or disables support only as themselves.
  const own = (username: string) => (c.principal.kind === 'user' || c.principal.kind === 'support' ? c.principal.username : username);
  const asUser = async (tenant: string, requested: string): Promise<{ ctx: AuditContext; userId: string | undefined; admin: boolean }> => {
    const username = own(requested);
    const user = await domain.users.findByUsername(tenant, username).catch(() => null);
    const name = user?.username ?? username.slice(0, 200);
    return { ctx: { ...c.audit, who: name, actor: { type: 'user', id: user?.id ?? null, name, tenant: tenant.slice(0, 63) } }, userId: user?.id, admin: user?.roles.includes('tenant-admin') ?? false };
  };
  return {
    /** A tenant's support properties (status, requests, last support logins). */
    supportStatus: (tenant: string) => admin.read('support.status', { tenant }, () => supportStatus(domain, tenant)),

    /** "Enable support" by a user of the tenant. */
    openSupport: async (input: { tenant: string; username: string; hours?: number | undefined; reason?: string | undefined }) => {
      const user = await asUser(input.tenant, input.username);
      return admin.act({
        permission: 'support.open',
        target: { tenant: input.tenant, userId: user.userId },
        as: recordAs(user.ctx),
        entry: { tenant: input.tenant, action: 'support.request.opened', subject: named('tenant', input.tenant, input.tenant), details: { operator: c.audit.who } },
        run: async () => {
          const opened = await openSupportRequest(domain, { ...input, username: own(input.username) });
          return {
            value: opened,
            details: { requestId: opened.request.id, hours: opened.request.hours, reason: opened.request.reason, windowEndsAt: new Date(opened.window.end!).toISOString() },
            undo: () => withdrawRequest(domain, input.tenant, opened.request.id),
          };
        },
      });
    },

    /** "Disable support": the user's own requests, or all of them for a tenant admin. */
    closeSupport: async (input: { tenant: string; username: string }) => {
      const user = await asUser(input.tenant, input.username);
      return admin.act({
        permission: user.admin ? 'support.close-all' : 'support.close',
        target: { tenant: input.tenant, userId: user.userId },
        as: recordAs(user.ctx),
        entry: { tenant: input.tenant, action: 'support.request.closed', subject: named('tenant', input.tenant, input.tenant), details: { operator: c.audit.who } },
        run: async () => {
          const result = await closeSupportRequests(domain, { ...input, username: own(input.username) });
          const open = result.window.end !== null && result.window.end > domain.clock.now();
          return {
            value: result,
            details: { closedRequests: result.closed.map((r) => r.id), windowEndsAt: open ? new Date(result.window.end!).toISOString() : null },
            undo: () => restoreWindow(domain, input.tenant, result.before),
          };
        },
        events: (result) => [windowReduced(input.tenant, result.window, domain.clock.now())],
      });
    },
  };
}
