import { z } from 'zod';
import { MANAGEMENT_TENANT } from '../../tenants/tenants.js';
import { route } from './route.js';
import { settingChange, settingsAnswer, tenantParam, tenantPath } from './schemas.js';

const settingPath = z.object({ tenant: tenantParam, key: z.string().max(100).meta({ description: 'support.globalAccess, support.requestHours, support.maxRequestHours or support.mode', example: 'support.mode' }) });

const valueBody = z
  .strictObject({ value: z.union([z.string(), z.number(), z.boolean()]).meta({ description: 'As the CLI takes it: true, false, an ISO date-time, a number of hours, full, read-only, inherit', example: 'read-only' }) })
  .meta({ id: 'SettingInput' });

/** The settings of the caller's tenant: in management the global ones, elsewhere the tenant's own support mode. */
const scopeOf = (tenant: string) => (tenant === MANAGEMENT_TENANT ? undefined : tenant);

/** Support settings: global (platform admin, management token) or a tenant's stricter mode (its admin). */
export const settingRoutes = [
  route({
    id: 'getSettings',
    method: 'get',
    path: '/{tenant}/settings',
    tag: 'settings',
    summary: 'The global support settings, and for a customer tenant its support mode',
    permission: 'settings.get',
    params: tenantPath,
    answer: { status: 200, description: 'The settings', schema: settingsAnswer },
    run: ({ admin, caller }) => admin.getSettings(scopeOf(caller.tenant)),
  }),
  route({
    id: 'setSetting',
    method: 'put',
    path: '/{tenant}/settings/{key}',
    tag: 'settings',
    summary: 'Sets a global setting (management) or the tenant\'s own stricter support.mode (read-only or inherit)',
    // In a customer tenant the action is settings.set-tenant-mode: the same scope, settings:write.
    permission: 'settings.set',
    params: settingPath,
    body: valueBody,
    answer: { status: 200, description: 'The value before and after', schema: settingChange },
    run: ({ admin, caller, params, body }) => admin.setSetting(params.key, String(body.value), scopeOf(caller.tenant)),
  }),
];
