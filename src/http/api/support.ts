import { z } from 'zod';
import { route } from './route.js';
import { supportClosed, supportOpened, supportStatusAnswer, tenantPath } from './schemas.js';

const openBody = z
  .strictObject({
    hours: z.number().int().positive().optional().meta({ description: 'How long the request lasts (default support.requestHours, at most support.maxRequestHours)', example: 24 }),
    reason: z.string().max(500).optional().meta({ description: 'A reason or ticket reference, shown in the tenant status and the audit log', example: 'TICKET-1234' }),
  })
  .meta({ id: 'SupportRequestInput' });

/**
 * "Enable support" and "Disable support" (SPEC §2): a person's consent, so only a user's own token
 * may do them (a client never can; a support session never can).
 */
export const supportRoutes = [
  route({
    id: 'getSupportStatus',
    method: 'get',
    path: '/{tenant}/support',
    tag: 'support',
    summary: "The tenant's support access: global access, the window, each request, the last support logins",
    permission: 'support.status',
    params: tenantPath,
    answer: { status: 200, description: 'The support status', schema: supportStatusAnswer },
    run: ({ admin, caller }) => admin.supportStatus(caller.tenant),
  }),
  route({
    id: 'openSupportRequest',
    method: 'post',
    path: '/{tenant}/support/requests',
    tag: 'support',
    summary: '"Enable support": opens a support request as the token\'s user, prolonging the window',
    description: 'Needs a user token with support:write. Recorded under the user (who = the username).',
    permission: 'support.open',
    params: tenantPath,
    body: openBody,
    answer: { status: 201, description: 'The request and the window it gives', schema: supportOpened },
    run: async ({ admin, caller, body }) => {
      const { request, window } = await admin.openSupport({ tenant: caller.tenant, username: caller.username ?? caller.clientId, hours: body.hours, reason: body.reason });
      return { request, window };
    },
  }),
  route({
    id: 'closeSupportRequests',
    method: 'post',
    path: '/{tenant}/support/requests/close',
    tag: 'support',
    summary: '"Disable support": closes the user\'s own requests, or every request of the tenant for a tenant admin',
    permission: 'support.close',
    params: tenantPath,
    answer: { status: 200, description: 'The requests closed and the window left', schema: supportClosed },
    run: async ({ admin, caller }) => {
      const { closed, window } = await admin.closeSupport({ tenant: caller.tenant, username: caller.username ?? caller.clientId });
      return { closed, window };
    },
  }),
];
