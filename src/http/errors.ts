import { randomUUID } from 'node:crypto';
import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { errors } from 'oidc-provider';
import { AppError, ERRORS, toAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { errorPage } from '../views/messages.js';

/** Gives every request an id (a sane incoming X-Request-Id is kept) and echoes it back. */
export const requestId: RequestHandler = (req, res, next) => {
  const incoming = req.get('x-request-id');
  const id = incoming && /^[A-Za-z0-9._:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
};

/**
 * What a 503 tells its caller about trying again (Retry-After, seconds): a Redis restart or a
 * cluster failover is usually over by then, and a client retrying sooner only adds load.
 */
const RETRY_AFTER_SECONDS = '5';

/**
 * Every 503 says when to try again, whoever wrote it: the error handler below, or oidc-provider
 * answering `temporarily_unavailable` at its own endpoints (token, introspection, userinfo, an
 * authorization request's error page), which sets no Retry-After itself. Mounted before the
 * routes; it looks at the status only as the headers leave.
 */
export function retryAfterWhenUnavailable(): Router {
  return Router().use((_req, res, next) => {
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: Parameters<typeof writeHead>) {
      const status = typeof args[0] === 'number' ? args[0] : this.statusCode;
      if (status === 503 && !this.hasHeader('retry-after')) this.setHeader('Retry-After', RETRY_AFTER_SECONDS);
      return writeHead.apply(this, args);
    } as typeof writeHead;
    next();
  });
}

export const notFound: RequestHandler = (_req, _res, next) => {
  next(new AppError('NOT_FOUND'));
};

/** What anything thrown in a route means for the caller, as a catalogue error. */
function httpError(err: unknown): AppError {
  // oidc-provider's interactionDetails/Finished: the interaction (cookie) is gone or was used.
  if (err instanceof errors.SessionNotFound || err instanceof errors.InvalidRequest) return new AppError('SIGN_IN_EXPIRED', undefined, { cause: err });
  // body-parser style errors carry their own 4xx status and safe message.
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500 && !(err instanceof AppError)) {
    return new AppError(status === 404 ? 'NOT_FOUND' : 'INVALID_INPUT', (err as Error).message);
  }
  return toAppError(err);
}

/**
 * A person's browser gets a page; programs get JSON. Routes people open in a browser (the issuers'
 * pages) say so with `res.locals.pages`: there "any type" means a page, elsewhere JSON.
 */
function wantsHtml(req: Request, res: Response): boolean {
  if (res.locals.pages === false) return false;
  return res.locals.pages === true ? req.accepts(['html', 'json']) === 'html' : req.accepts(['json', 'html']) === 'html';
}

/**
 * The one error handler: every refusal in the catalogue's words, as a page for people or JSON for
 * programs. A 5xx says only the catalogue's text (what Redis or a bug said goes to the log with the
 * request id, never to the caller).
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const appError = httpError(err);
    const id = res.locals.requestId as string | undefined;
    if (appError.status >= 500) {
      logger.error('request failed', { requestId: id, method: req.method, path: req.path, code: appError.code, error: err instanceof Error ? err.message : String(err) });
    }
    const message = appError.status >= 500 ? ERRORS[appError.code].message : appError.message;
    res.status(appError.status);
    if (appError.status === 503) res.set('Retry-After', RETRY_AFTER_SECONDS);
    if (wantsHtml(req, res)) {
      res.type('html').send(errorPage(appError.title, message));
      return;
    }
    res.json({ error: appError.code.toLowerCase(), message, ...(appError.issues.length > 0 && appError.status < 500 ? { issues: appError.issues } : {}), requestId: id });
  };
}
