import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { scopeFor } from '../../admin/policy.js';
import { API_SCOPE_VALUES } from '../../clients/clients.js';
import { NO_INPUT, type ApiRoute } from './route.js';
import { errorAnswer } from './schemas.js';

const errorContent = { content: { 'application/json': { schema: errorAnswer } } };

/** The answers every operation may give besides its own. */
const REFUSALS = {
  '400': { description: 'The body or a parameter is not valid (the message names the field)', ...errorContent },
  '401': { description: 'No token, or one that is unknown, expired, revoked, or of another tenant (WWW-Authenticate: Bearer)', ...errorContent },
  '403': { description: "The policy refused: the token's scope, the holder's roles, another tenant, or a support session (every admin action)", ...errorContent },
  '503': { description: 'The data store or the audit log is unavailable: nothing was changed (Retry-After)', ...errorContent },
};

function operation(r: ApiRoute): ZodOpenApiOperationObject {
  const scope = r.permission ? scopeFor(r.permission) : null;
  const hasBody = r.body !== NO_INPUT;
  const content = r.answer.schema ? { 'application/json': { schema: r.answer.schema } } : r.answer.media ? Object.fromEntries(Object.entries(r.answer.media).map(([type, schema]) => [type, { schema }])) : undefined;
  return {
    operationId: r.id,
    tags: [r.tag],
    summary: r.summary,
    description: [r.description, scope ? `Scope: \`${scope}\`.` : 'Any valid token.'].filter(Boolean).join(' '),
    security: [{ bearer: scope ? [scope] : [] }],
    'x-required-scope': scope,
    requestParams: { path: r.params as z.ZodObject, query: r.query as z.ZodObject },
    ...(hasBody ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
    responses: { [String(r.answer.status)]: { description: r.answer.description, ...(content ? { content } : {}) }, ...REFUSALS },
  };
}

/** The OpenAPI 3.1 document of the routes: the same table and schemas that registered them. */
export function apiDocument(routes: readonly ApiRoute[], publicUrl: string): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const r of routes) paths[r.path] = { ...paths[r.path], [r.method]: operation(r) };
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'supportgate JSON API',
        version: '1',
        description: [
          "Automation over the same admin actions as the CLI and the console: every call is authorized by the policy, done, and audited (channel api).",
          "Paths start with the caller's tenant: the tenant whose issuer (/t/{tenant}) issued the bearer token. A management token acts on other tenants through the paths and parameters that say so (/management/tenants/{id}/..., ?tenant=).",
          "Tokens: a user's access token (authorization code; its scopes limit what the user's roles allow), or a client's own token (client_credentials, for clients registered with apiScopes; a client is only ever allowed reads). support:write is honoured for user tokens only: a support request is a person's consent.",
          `Scopes: ${API_SCOPE_VALUES.join(', ')}.`,
        ].join('\n\n'),
      },
      servers: [{ url: `${publicUrl}/api/v1` }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An access token of the tenant in the path, from its issuer /t/{tenant}' } } },
      paths,
    },
    { reused: 'ref' },
  );
}
