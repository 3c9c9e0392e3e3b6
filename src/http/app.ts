import express, { type Express, type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/client.js';
import { errorHandler, notFound, requestId } from './errors.js';
import { healthRoutes } from './health.js';

export interface AppDeps {
  config: Config;
  redis: RedisClient;
  logger: Logger;
  isBootstrapped: () => boolean;
  isShuttingDown: () => boolean;
  /** What people and relying parties reach: the issuers, their pages, health. */
  routers: Router[];
  /**
   * Answers for machines that carry no page and no body worth securing (forward-auth's
   * `/auth/verify`, asked by the proxy for every request of the apps behind it): mounted before
   * helmet's dozen page headers, with request ids. Anything else they do not answer falls through.
   */
  hotRouters?: Router[];
  /**
   * The admin group (the JSON API and console the next features bring) under /admin: answered
   * in JSON only, whatever the Accept header, and kept apart from the public routes.
   */
  adminRouters?: Router[];
  /** The JSON API for automation under /api/v1: JSON only, like the admin group. */
  apiRouters?: Router[];
}

/** Errors of the groups below are answered in JSON, whatever the Accept header (see wantsHtml). */
const jsonOnly: RequestHandler = (_req, res, next) => {
  res.locals.pages = false;
  next();
};

/** The express app: security headers, request ids, routes, then the one error handler. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  app.use(requestId);
  app.use((_req, res, next) => {
    // While shutting down, keep-alive clients are told to reconnect elsewhere.
    if (deps.isShuttingDown()) res.setHeader('Connection', 'close');
    next();
  });
  for (const router of deps.hotRouters ?? []) app.use(router);
  app.use(helmet());
  app.use(healthRoutes(deps.redis, deps.isBootstrapped));
  for (const router of deps.routers) app.use(router);
  const admin = express.Router();
  admin.use(jsonOnly);
  for (const router of deps.adminRouters ?? []) admin.use(router);
  app.use('/admin', admin);
  app.use('/api/v1', jsonOnly, ...(deps.apiRouters ?? []));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
