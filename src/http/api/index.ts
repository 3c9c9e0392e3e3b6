/**
 * The JSON API at /api/v1, for automation: one route table (a file per resource) that registers
 * the express routes and documents them (GET /api/v1/openapi.json). Every operation calls the same
 * admin actions as the CLI and the console: `adminFor(domain, caller.audit, caller.principal)`.
 * Each request is a pipeline of named steps: noStore → authenticate → parseRequest → perform.
 */
import express, { Router, type RequestHandler } from 'express';
import { adminFor } from '../../admin/index.js';
import type { DigestSource } from '../../audit/verify.js';
import type { Domain } from '../../domain.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ProviderPool } from '../../oidc/pool.js';
import { parseInput } from '../../validation.js';
import { auditRoutes } from './audit.js';
import { bearerAuthentication, type Caller } from './bearer.js';
import { clientRoutes } from './clients.js';
import { meRoutes } from './me.js';
import { apiDocument } from './openapi.js';
import { expressPath, type ApiRoute } from './route.js';
import { settingRoutes } from './settings.js';
import { supportRoutes } from './support.js';
import { tenantRoutes } from './tenants.js';
import { userRoutes } from './users.js';

export interface ApiDeps {
  pool: ProviderPool;
  domain: Domain;
  /** PUBLIC_URL: the document's server. */
  publicUrl: string;
  /** The signed audit digests verify checks the chains against (absent: chains only). */
  digests?: DigestSource | undefined;
  logger?: Logger | undefined;
}

/** Big enough for any body the API takes (a client's URI lists), small enough to parse cheaply. */
const BODY_LIMIT = '64kb';

/** Every operation, in the order the document lists them. */
export function apiRouteTable(deps: Pick<ApiDeps, 'digests'>): ApiRoute[] {
  return [...meRoutes, ...supportRoutes, ...userRoutes, ...clientRoutes, ...tenantRoutes, ...settingRoutes, ...auditRoutes(deps)];
}

/** The validated request of one operation, kept for `perform`. */
interface ParsedRequest {
  params: unknown;
  query: unknown;
  body: unknown;
}

/** Answers (errors too) are about one caller and may hold a secret once: never stored by a cache. */
const noStore: RequestHandler = function noStore(_req, res, next) {
  res.set('Cache-Control', 'no-store');
  next();
};

/** The path, the query and the JSON body against the operation's schemas (strict: unknown fields are refused). */
function parseRequest(r: ApiRoute): RequestHandler {
  return function parseRequest(req, res, next) {
    const sent = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (sent && !req.is('application/json')) throw new AppError('JSON_EXPECTED');
    const parsed: ParsedRequest = {
      params: parseInput(r.params, req.params, 'path'),
      query: parseInput(r.query, req.query, 'query'),
      // No body at all is an empty one (operations whose fields are all optional take none).
      body: parseInput(r.body, req.body ?? {}, 'body'),
    };
    res.locals.parsed = parsed;
    next();
  };
}

/** Runs the operation as the caller and answers with its result (a download has answered itself). */
function perform(r: ApiRoute, deps: ApiDeps): RequestHandler {
  return async function perform(_req, res) {
    const caller = res.locals.caller as Caller;
    const { params, query, body } = res.locals.parsed as ParsedRequest;
    const admin = adminFor(deps.domain, caller.audit, caller.principal, deps.logger);
    const value = await r.run({ caller, admin, params, query, body, res });
    if (res.headersSent) return;
    if (r.answer.status === 204) res.status(204).end();
    else res.status(r.answer.status).json(value);
  };
}

/** The /api/v1 routes (mounted there by the app, which answers their errors in JSON). */
export function apiRoutes(deps: ApiDeps): Router {
  const routes = apiRouteTable(deps);
  const router = Router();
  router.use(noStore);
  const document = apiDocument(routes, deps.publicUrl);
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  const authenticate = bearerAuthentication(deps);
  const json = express.json({ limit: BODY_LIMIT });
  for (const r of routes) router[r.method](expressPath(r.path), authenticate, json, parseRequest(r), perform(r, deps));
  return router;
}
