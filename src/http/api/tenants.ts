import { z } from 'zod';
import { route } from './route.js';
import { supportStatusAnswer, tenantAnswer, tenantParam, tenantPath, tenantStatusChange } from './schemas.js';

const COOKIE_DOMAIN =
  'The parent domain the forward-auth cookie is set for, so one sign-in serves every app of the tenant under it; it must be or contain a domain of the tenant and no domain of another tenant.';

const otherTenantPath = z.object({ tenant: tenantParam, id: z.string().max(63).meta({ description: 'The tenant acted on', example: 'acme' }) });

const createBody = z
  .strictObject({
    id: z.string().meta({ description: '^[a-z][a-z0-9-]{1,62}$', example: 'globex' }),
    name: z.string().optional(),
    domains: z.array(z.string()).optional().meta({ example: ['globex.example.com'] }),
    cookieDomain: z.string().nullable().optional().meta({ description: COOKIE_DOMAIN, example: 'globex.example.com' }),
    signingKeys: z.enum(['own', 'platform']).optional().meta({ description: "Whose keys the tenant's issuer signs with: its own (default; its tokens verify against no other tenant's JWKS) or the platform's" }),
  })
  .meta({ id: 'TenantInput' });

const updateBody = z
  .strictObject({
    cookieDomain: z.string().nullable().meta({ description: `${COOKIE_DOMAIN} null clears it.`, example: 'shop.example' }),
  })
  .meta({ id: 'TenantUpdate' });

/** The tenants, for the platform admin (a management token): `/management/tenants/...`. */
export const tenantRoutes = [
  route({
    id: 'listTenants',
    method: 'get',
    path: '/{tenant}/tenants',
    tag: 'tenants',
    summary: 'Every tenant, management included',
    permission: 'tenant.list',
    params: tenantPath,
    answer: { status: 200, description: 'The tenants', schema: z.array(tenantAnswer) },
    run: ({ admin }) => admin.listTenants(),
  }),
  route({
    id: 'createTenant',
    method: 'post',
    path: '/{tenant}/tenants',
    tag: 'tenants',
    summary: 'Creates a tenant',
    permission: 'tenant.create',
    params: tenantPath,
    body: createBody,
    answer: { status: 201, description: 'The tenant', schema: tenantAnswer },
    run: ({ admin, body }) => admin.createTenant(body),
  }),
  route({
    id: 'updateTenant',
    method: 'patch',
    path: '/{tenant}/tenants/{id}',
    tag: 'tenants',
    summary: "Sets or clears a tenant's forward-auth cookie domain",
    permission: 'tenant.update',
    params: otherTenantPath,
    body: updateBody,
    answer: { status: 200, description: 'The tenant', schema: tenantAnswer },
    run: async ({ admin, params, body }) => (await admin.updateTenant({ id: params.id, cookieDomain: body.cookieDomain })).tenant,
  }),
  route({
    id: 'suspendTenant',
    method: 'post',
    path: '/{tenant}/tenants/{id}/suspend',
    tag: 'tenants',
    summary: 'Suspends a tenant: its issuer answers nobody, and every session and token of it ends',
    permission: 'tenant.suspend',
    params: otherTenantPath,
    answer: { status: 200, description: 'The status change', schema: tenantStatusChange },
    run: ({ admin, params }) => admin.suspendTenant(params.id),
  }),
  route({
    id: 'resumeTenant',
    method: 'post',
    path: '/{tenant}/tenants/{id}/resume',
    tag: 'tenants',
    summary: 'Makes a suspended tenant active again (what the suspension ended stays ended)',
    permission: 'tenant.resume',
    params: otherTenantPath,
    answer: { status: 200, description: 'The status change', schema: tenantStatusChange },
    run: ({ admin, params }) => admin.resumeTenant(params.id),
  }),
  route({
    id: 'getTenantSupportStatus',
    method: 'get',
    path: '/{tenant}/tenants/{id}/support',
    tag: 'tenants',
    summary: "Another tenant's support properties (the platform admin's view of a tenant)",
    permission: 'support.status',
    params: otherTenantPath,
    answer: { status: 200, description: 'The support status', schema: supportStatusAnswer },
    run: ({ admin, params }) => admin.supportStatus(params.id),
  }),
];
