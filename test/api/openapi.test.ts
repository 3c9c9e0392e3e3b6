import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Router } from 'express';
import { scopeFor } from '../../src/admin/policy.js';
import type { Domain } from '../../src/domain.js';
import { apiRouteTable, apiRoutes } from '../../src/http/api/index.js';
import type { ProviderPool } from '../../src/oidc/pool.js';
import { oidcWorld, type OidcWorld } from '../oidc/setup.js';

interface Operation {
  operationId: string;
  security: { bearer: string[] }[];
  'x-required-scope': string | null;
  parameters?: { in: string; name: string }[];
  responses: Record<string, unknown>;
}
interface Document {
  openapi: string;
  servers: { url: string }[];
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  paths: Record<string, Record<string, Operation>>;
}

/** The method + path of every route express has registered on the router (`/:tenant/users`). */
function registered(router: Router): string[] {
  const layers = (router as unknown as { stack: { route?: { path: string; methods: Record<string, boolean> } }[] }).stack;
  return layers.flatMap((l) => (l.route ? Object.keys(l.route.methods).map((m) => `${m.toUpperCase()} ${l.route!.path}`) : []));
}

describe('the OpenAPI 3.1 document (GET /api/v1/openapi.json)', () => {
  let world: OidcWorld;
  let doc: Document;
  const documented = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path, op: ops[m]! })));

  beforeAll(async () => {
    world = await oidcWorld('api-openapi');
    const res = await fetch(`${world.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Document;
  }, 30_000);
  afterAll(async () => world.stop());

  it('is OpenAPI 3.1 with a bearer scheme and the gateway as its server', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: `${world.url}/api/v1` }]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('documents every route express registered, and nothing else', () => {
    const router = apiRoutes({ pool: {} as ProviderPool, domain: {} as Domain, publicUrl: world.url });
    const routes = registered(router).filter((r) => r !== 'GET /openapi.json');
    expect(routes.length).toBe(apiRouteTable({}).length);
    expect(routes.sort()).toEqual(documented().map((d) => `${d.method} ${d.path.replace(/\{(\w+)\}/g, ':$1')}`).sort());
  });

  it('lists the scope each operation needs: the scope of the admin action it asks the policy for', () => {
    for (const r of apiRouteTable({})) {
      const op = doc.paths[r.path]![r.method]!;
      const scope = r.permission ? scopeFor(r.permission) : null;
      expect([op.operationId, op['x-required-scope'], op.security]).toEqual([r.id, scope, [{ bearer: scope ? [scope] : [] }]]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '401', '403', String(r.answer.status)]));
      for (const name of r.path.match(/\{(\w+)\}/g)!.map((p) => p.slice(1, -1))) {
        expect(op.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'path', name })]));
      }
    }
    expect(doc.paths['/{tenant}/support/requests']!.post!['x-required-scope']).toBe('support:write');
    expect(doc.paths['/{tenant}/audit/export']!.get!['x-required-scope']).toBe('audit:read');
  });

  it('every documented path and method answers on a live gateway (401 without a token, never 404 or 405)', async () => {
    const ops = documented();
    expect(ops.length).toBeGreaterThan(20);
    for (const { method, path } of ops) {
      const url = `${world.url}/api/v1${path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'tenant' ? 'acme' : 'x'))}`;
      const res = await fetch(url, { method });
      expect([method, path, res.status]).toEqual([method, path, 401]);
    }
    // The same gateway says 404 for what is not documented.
    expect((await fetch(`${world.url}/api/v1/acme/not-documented`)).status).toBe(404);
    expect((await fetch(`${world.url}/api/v1/acme/users`, { method: 'DELETE' })).status).toBe(404);
  });
});
