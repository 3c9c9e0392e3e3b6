import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, ERRORS, toAppError } from '../errors.js';
import type { Logger } from '../logger.js';

/** Gives every request an id (a sane incoming X-Request-Id is kept) and echoes it back. */
export const requestId: RequestHandler = (req, res, next) => {
  const incoming = req.get('x-request-id');
  const id = incoming && /^[A-Za-z0-9._:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
};

export const notFound: RequestHandler = (_req, _res, next) => {
  next(new AppError('NOT_FOUND'));
};

/**
 * The one error handler: AppErrors below 500 are shown as they are; anything else is logged with
 * the request id and answered with the catalogue text only, never internals.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    // body-parser style errors carry their own 4xx status and safe message.
    const status = (err as { status?: unknown }).status;
    const appError =
      typeof status === 'number' && status >= 400 && status < 500 && !(err instanceof AppError)
        ? new AppError(status === 404 ? 'NOT_FOUND' : 'INVALID_INPUT', (err as Error).message)
        : toAppError(err);
    const requestId = res.locals.requestId as string | undefined;
    if (appError.status >= 500) {
      logger.error('request failed', {
        requestId,
        method: req.method,
        path: req.path,
        code: appError.code,
        error: err instanceof Error ? err.message : String(err),
      });
    }
    res.status(appError.status).json({
      error: appError.code.toLowerCase(),
      // A 5xx says only the catalogue's words: what Redis said is for the log above, not the caller.
      message: appError.status >= 500 ? ERRORS[appError.code].message : appError.message,
      ...(appError.issues.length > 0 && appError.expose ? { issues: appError.issues } : {}),
      requestId,
    });
  };
}
