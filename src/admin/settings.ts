import { MANAGEMENT_TENANT, requireTenant } from '../tenants/tenants.js';
import { getSettings, restoreSetting, setSetting as storeSetting, supportModeOf } from '../settings/settings.js';
import { globalAccessReduction } from '../support-access/support.js';
import { named, type AdminContext, type AdminRunner } from './context.js';

/** Settings: the global ones (management), or a tenant's stricter support mode. */
export function settingActions({ domain }: AdminContext, admin: AdminRunner) {
  return {
    /** The global settings, and for a tenant its support mode (its own, the global, the effective). */
    getSettings: (tenant?: string) => {
      const scope = tenant ?? MANAGEMENT_TENANT;
      return admin.read('settings.get', { tenant: scope }, async () => ({
        global: await getSettings(domain.settings),
        mode: scope === MANAGEMENT_TENANT ? null : await supportModeOf(domain.settings, scope),
      }));
    },

    setSetting: (key: string, value: string, tenant?: string) => {
      const scope = tenant ?? MANAGEMENT_TENANT;
      return admin.act({
        permission: tenant === undefined || tenant === MANAGEMENT_TENANT ? 'settings.set' : 'settings.set-tenant-mode',
        target: { tenant: scope },
        entry: { tenant: scope, action: 'settings.changed', subject: named('setting', key, scope) },
        run: async () => {
          if (tenant !== undefined) await requireTenant(domain.tenants, tenant);
          const result = await storeSetting(domain.settings, domain.clock, key, value, tenant);
          return {
            value: result,
            details: { key: result.key, before: result.before, after: result.after },
            undo: () => restoreSetting(domain.settings, result.key, result.before, tenant === MANAGEMENT_TENANT ? undefined : tenant),
          };
        },
        events: (change) => {
          if (change.key !== 'support.globalAccess') return [];
          const reduced = globalAccessReduction(change.before as boolean | string, change.after as boolean | string, domain.clock.now());
          return reduced ? [reduced] : [];
        },
      });
    },
  };
}
