import { errors } from 'oidc-provider';
import { AppError, ERRORS, toAppError } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * What an error thrown inside one of our hooks (findAccount, extraTokenClaims, the adapter, ...)
 * becomes at the provider's endpoints. oidc-provider answers an "exposed" error with its message
 * as the wire `error` code, so an AppError would put our prose (and Redis' words) on the wire.
 * A store or audit outage is the standard `temporarily_unavailable` (503) with the catalogue's
 * text; what Redis said goes to the log only. Anything else is a bug: oidc-provider answers it as
 * `server_error` without details.
 */
export function toOidcError(err: unknown, logger?: Logger): unknown {
  if (err instanceof errors.OIDCProviderError) return err;
  const app = toAppError(err);
  if (app.code !== 'STORE_UNAVAILABLE' && app.code !== 'AUDIT_UNAVAILABLE') return err;
  logger?.error(`issuer request refused: ${app.message}`);
  const refused = new errors.TemporarilyUnavailable(ERRORS[app.code].message);
  refused.status = 503;
  refused.statusCode = 503;
  refused.expose = true;
  return refused;
}

/** `fn` with its failures turned into the errors oidc-provider should answer with. */
export function oidcErrors<A extends unknown[], R>(fn: (...args: A) => Promise<R>, logger?: Logger): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      throw toOidcError(err, logger);
    }
  };
}

/**
 * How a program is answered for an error caught outside the provider's own handlers (before its
 * routes run): a refusal keeps its status as `invalid_request`, a store or audit outage is the
 * standard 503 `temporarily_unavailable`, anything else `server_error` without details.
 */
export function oauthErrorAnswer(err: unknown, logger?: Logger): { status: number; body: { error: string; error_description: string } } {
  if (err instanceof AppError && err.status < 500) return { status: err.status, body: { error: 'invalid_request', error_description: err.message } };
  const e = toOidcError(err, logger);
  if (e instanceof errors.OIDCProviderError && e.expose) return { status: e.statusCode, body: { error: e.message, error_description: (e as { error_description?: string }).error_description ?? '' } };
  return { status: 500, body: { error: 'server_error', error_description: 'oops! something went wrong' } };
}
