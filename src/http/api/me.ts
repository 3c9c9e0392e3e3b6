import { z } from 'zod';
import { route } from './route.js';
import { tenantPath } from './schemas.js';

const meAnswer = z
  .object({
    kind: z.enum(['user', 'support', 'client']).meta({ description: 'user: a person as itself; support: a support session (jill$john); client: a client acting for itself' }),
    tenant: z.string(),
    who: z.string().meta({ description: 'How the audit log names the caller: john, jill$john or client:<id>' }),
    username: z.string().nullable(),
    roles: z.array(z.string()),
    scopes: z.array(z.string()),
    clientId: z.string(),
    actor: z.object({ id: z.string(), username: z.string() }).nullable().meta({ description: 'The support user of a support session' }),
  })
  .meta({ id: 'Me' });

/** The caller, as the API sees it: no admin action, so any valid token may ask. */
export const meRoutes = [
  route({
    id: 'getMe',
    method: 'get',
    path: '/{tenant}/me',
    tag: 'me',
    summary: 'Who the bearer token is: its user (or support session, or client), roles and scopes',
    permission: null,
    params: tenantPath,
    answer: { status: 200, description: 'The caller', schema: meAnswer },
    run: async ({ caller }) => {
      const p = caller.principal;
      return {
        kind: p.kind,
        tenant: caller.tenant,
        who: caller.audit.who,
        username: caller.username,
        roles: p.kind === 'user' ? p.roles : [],
        scopes: caller.scopes,
        clientId: caller.clientId,
        actor: p.kind === 'support' ? p.actor : null,
      };
    },
  }),
];
