/**
 * The administrative actions, each recorded in the audit log (SPEC §6): the CLI, the demo and
 * the admin API call these rather than the stores, so no change goes unaudited.
 */
import { audited, type AuditContext } from './audit/audited.js';
import type { AuditEntry, Party } from './audit/entry.js';
import { queryEntries, queryPage, type AuditFilter } from './audit/query.js';
import { verifyTenantLog, type VerifyResult } from './audit/verify.js';
import { createClient as createClientRecord } from './clients/clients.js';
import type { AccessEvent } from './events.js';
import { closeSupportRequests, openSupportRequest } from './support-access/support.js';
import { foldEnd, globalAccess, type SupportWindow } from './support-access/window.js';
import type { Domain } from './domain.js';
import type { Logger } from './logger.js';
import { setSetting as storeSetting, type Settings } from './settings/settings.js';
import { createTenant as createTenantRecord, requireTenant } from './tenants/tenants.js';
import { createUser as createUserRecord, setUser as changeUser, type User } from './users/users.js';

export type Operations = ReturnType<typeof operationsFor>;

/** Filters as entry details: what was asked, in ISO form. */
function filterDetails(f: AuditFilter): AuditEntry['details'] {
  const d: AuditEntry['details'] = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    d[k] = k === 'from' || k === 'to' ? new Date(v as number).toISOString() : String(v).slice(0, 300);
  }
  return d;
}

/** The window end without one request (undoing its opening). */
function foldEndOf(window: SupportWindow, withoutId: string): number | null {
  return foldEnd(window.requests.filter((r) => r.id !== withoutId));
}

const userParty = (u: Pick<User, 'id' | 'username' | 'tenant'>): Party => ({ type: 'user', id: u.id, name: u.username, tenant: u.tenant });
const named = (type: Party['type'], name: string, tenant: string | null): Party => ({ type, id: null, name: name.slice(0, 200), tenant: tenant?.slice(0, 63) ?? null });

/** Events for what a user change takes away from support access. */
function userChangeEvents(before: User, after: User): AccessEvent[] {
  const events: AccessEvent[] = [];
  if (before.enabled && !after.enabled) events.push({ type: 'user.disabled', tenant: after.tenant, userId: after.id, username: after.username });
  if (before.roles.includes('support')) {
    const reason =
      !after.enabled && before.enabled ? 'disabled'
      : !after.roles.includes('support') ? 'role-removed'
      : before.scope.some((t) => !after.scope.includes(t) && !after.scope.includes('*')) ? 'scope-reduced'
      : before.passwordHash !== after.passwordHash ? 'password-changed'
      : null;
    if (reason) events.push({ type: 'support.user.reduced', userId: after.id, username: after.username, reason });
  }
  return events;
}

export function operationsFor(domain: Domain, ctx: AuditContext, logger?: Logger) {
  const deps = { audit: domain.audit, tenants: domain.tenants, logger };
  // Events go out after the change and its entry: a failed publish is logged, never undone
  // (every later use of a support session re-checks may-enter anyway).
  const publish = async (events: AccessEvent[]) => {
    for (const event of events) {
      await domain.events.publish(event).catch((err: unknown) => logger?.error(`could not publish ${event.type}: ${(err as Error).message}`));
    }
  };
  /** An action a tenant user takes (support requests): audited under that user, the operator in details. */
  const asUser = async (tenant: string, username: string): Promise<AuditContext> => {
    const user = await domain.users.findByUsername(tenant, username).catch(() => null);
    const name = user?.username ?? username.slice(0, 200);
    return { ...ctx, who: name, actor: { type: 'user', id: user?.id ?? null, name, tenant: tenant.slice(0, 63) } };
  };
  return {
    createTenant: (input: Parameters<typeof createTenantRecord>[2]) =>
      audited(deps, ctx, { tenant: input.id, action: 'tenant.created', subject: named('tenant', input.id, null) }, async () => {
        const tenant = await createTenantRecord(domain.tenants, domain.clock, input);
        return {
          value: tenant,
          subject: { type: 'tenant', id: tenant.id, name: tenant.name, tenant: tenant.id },
          details: { domains: tenant.domains },
          undo: () => domain.tenants.remove(tenant),
        };
      }),

    createUser: (input: Parameters<typeof createUserRecord>[1]) =>
      audited(deps, ctx, { tenant: input.tenant, action: 'user.created', subject: named('user', input.username, input.tenant) }, async () => {
        const user = await createUserRecord(domain, input);
        return { value: user, subject: userParty(user), details: { roles: user.roles, scope: user.scope }, undo: () => domain.users.remove(user) };
      }),

    setUser: async (input: Parameters<typeof changeUser>[1]) => {
      let events: AccessEvent[] = [];
      const after = await audited(deps, ctx, { tenant: input.tenant, action: 'user.updated', subject: named('user', input.username, input.tenant) }, async () => {
        const { before, after } = await changeUser(domain, input);
        const changed = [
          before.enabled !== after.enabled && 'enabled',
          before.roles.join() !== after.roles.join() && 'roles',
          before.scope.join() !== after.scope.join() && 'scope',
          before.passwordHash !== after.passwordHash && 'password',
        ].filter((c): c is string => typeof c === 'string');
        events = userChangeEvents(before, after);
        return {
          value: after,
          subject: userParty(after),
          details: { changed, enabled: after.enabled, roles: after.roles, scope: after.scope },
          undo: () => domain.users.update(after.tenant, after.id, () => before),
        };
      });
      await publish(events);
      return after;
    },

    createClient: (input: Parameters<typeof createClientRecord>[1]) =>
      audited(deps, ctx, { tenant: input.tenant, action: 'client.created', subject: named('client', input.clientId, input.tenant) }, async () => {
        const created = await createClientRecord(domain, input);
        const c = created.client;
        return {
          value: created,
          subject: { type: 'client', id: c.clientId, name: c.clientId, tenant: c.tenant },
          details: { public: c.public, firstParty: c.firstParty, redirectUris: c.redirectUris },
          undo: () => domain.clients.remove(c.tenant, c.clientId),
        };
      }),

    setSetting: async (key: string, value: string, tenant?: string) => {
      const scope = tenant ?? 'management';
      const change = await audited(deps, ctx, { tenant: scope, action: 'settings.changed', subject: named('setting', key, scope) }, async () => {
        if (tenant !== undefined) await requireTenant(domain.tenants, tenant);
        const result = await storeSetting(domain.settings, domain.clock, key, value, tenant);
        return {
          value: result,
          details: { key: result.key, before: result.before, after: result.after },
          undo: () =>
            domain.settings.update((s) => {
              const { [result.key]: _dropped, ...rest } = s;
              return (result.before as string) === 'inherit' ? rest : { ...rest, [result.key]: result.before as Settings[typeof result.key] };
            }, scope),
        };
      });
      if (change.key === 'support.globalAccess') {
        const now = domain.clock.now();
        const before = globalAccess(change.before as boolean | string, now);
        const after = globalAccess(change.after as boolean | string, now);
        const shortened = before.on && after.on && after.until !== null && (before.until === null || after.until < before.until);
        if (before.on && !after.on) await publish([{ type: 'support.global.reduced', until: null, reason: 'switched-off' }]);
        else if (shortened) await publish([{ type: 'support.global.reduced', until: after.until, reason: 'shortened' }]);
      }
      return change;
    },

    /** "Enable support" by a user of the tenant, recorded under that user. */
    openSupport: async (input: { tenant: string; username: string; hours?: number | undefined; reason?: string | undefined }) =>
      audited(deps, await asUser(input.tenant, input.username), { tenant: input.tenant, action: 'support.request.opened', subject: named('tenant', input.tenant, input.tenant), details: { operator: ctx.who } }, async () => {
        const opened = await openSupportRequest(domain, input);
        return {
          value: opened,
          details: { requestId: opened.request.id, hours: opened.request.hours, reason: opened.request.reason, windowEndsAt: new Date(opened.window.end!).toISOString() },
          undo: async () => {
            const w = await domain.windows.update(input.tenant, (cur) => ({ ...cur, version: cur.version + 1, requests: cur.requests.filter((r) => r.id !== opened.request.id), end: foldEndOf(cur, opened.request.id) }));
            await domain.windows.schedule(input.tenant, w.end !== null && w.end > domain.clock.now() ? w.end : null);
          },
        };
      }),

    /** "Disable support": the user's own requests, or all for a tenant admin; recorded under that user. */
    closeSupport: async (input: { tenant: string; username: string }) => {
      const closed = await audited(deps, await asUser(input.tenant, input.username), { tenant: input.tenant, action: 'support.request.closed', subject: named('tenant', input.tenant, input.tenant), details: { operator: ctx.who } }, async () => {
        const result = await closeSupportRequests(domain, input);
        const open = result.window.end !== null && result.window.end > domain.clock.now();
        return {
          value: result,
          details: { closedRequests: result.closed.map((r) => r.id), windowEndsAt: open ? new Date(result.window.end!).toISOString() : null },
          undo: async () => {
            const w = await domain.windows.update(input.tenant, (cur) => ({ ...result.before, version: cur.version + 1 }));
            await domain.windows.schedule(input.tenant, w.end);
          },
        };
      });
      const now = domain.clock.now();
      const stillOpen = closed.window.end !== null && closed.window.end > now;
      await publish([{ type: 'support.window.reduced', tenant: input.tenant, endsAt: stillOpen ? closed.window.end : null, reason: 'closed' }]);
      return closed;
    },

    /** One page of entries; the query itself is recorded before the page is shown. */
    queryAudit: (filter: AuditFilter, limit: number, cursor?: string) =>
      audited(deps, ctx, { tenant: filter.tenant ?? 'management', action: 'audit.queried', details: filterDetails(filter) }, async () => {
        const page = await queryPage({ audit: domain.auditStore, tenants: domain.tenants, users: domain.users }, filter, limit, cursor);
        return { value: page, details: { returned: page.entries.length, limit } };
      }),

    /** Every matching entry, streamed; the export is recorded before the first entry leaves. */
    exportAudit: async (filter: AuditFilter, format: 'jsonl' | 'csv', limit?: number): Promise<AsyncIterable<AuditEntry>> => {
      await domain.audit.record({
        ...ctx,
        tenant: filter.tenant ?? 'management',
        action: 'audit.exported',
        outcome: 'success',
        details: { ...filterDetails(filter), format, ...(limit !== undefined ? { limit } : {}) },
      });
      const deps2 = { audit: domain.auditStore, tenants: domain.tenants, users: domain.users };
      return (async function* () {
        let n = 0;
        for await (const hit of queryEntries(deps2, filter)) {
          if (limit !== undefined && n++ >= limit) return;
          yield hit.entry;
        }
      })();
    },

    /** Verifies the chains of one tenant or of all; the verification is recorded with its outcome. */
    verifyAudit: async (tenant: string | undefined, onProgress?: (tenant: string, checked: number) => void): Promise<VerifyResult[]> => {
      const tenants = tenant ? [tenant] : (await domain.tenants.list()).map((t) => t.id);
      const results: VerifyResult[] = [];
      for (const t of tenants) results.push(await verifyTenantLog(domain.auditStore, t, (n) => onProgress?.(t, n)));
      const broken = results.filter((r) => !r.ok);
      await domain.audit.record({
        ...ctx,
        tenant: tenant ?? 'management',
        action: 'audit.verified',
        outcome: broken.length === 0 ? 'success' : 'failure',
        cause: broken.length === 0 ? null : broken.map((r) => (r.ok ? '' : `${r.tenant} at position ${r.position}: ${r.reason}`)).join('; ').slice(0, 500),
        details: { tenants: tenants.slice(0, 50), entries: results.reduce((n, r) => n + r.entries, 0) },
      });
      return results;
    },
  };
}
