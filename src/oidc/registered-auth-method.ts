import type { IncomingMessage } from 'node:http';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { clientAuthMethodOf, type ClientStore } from '../clients/clients.js';
import { oauthErrorAnswer } from './errors.js';
import { oidcRequest } from './request-context.js';

// oidc-provider's own limit for these bodies.
const BODY_LIMIT = 56 * 1024;

/**
 * oidc-provider accepts a client's secret sent either way (HTTP Basic or the form body) whichever
 * of the two the client is registered for; a client gets the one method it is registered for.
 * The body is read here and put back unchanged for the provider, which parses it itself (a
 * parser in front of it is not supported).
 */
export function registeredAuthMethodOnly(clients: Pick<ClientStore, 'get'>, tenant: string) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<unknown> => {
    // Every form POST to the issuer, not a list of paths: oidc-provider's router matches paths
    // loosely (any case, a trailing slash), and any endpoint taking client credentials counts.
    if (ctx.method !== 'POST' || !ctx.is('application/x-www-form-urlencoded')) return next();
    const length = Number(ctx.get('content-length'));
    if (!Number.isSafeInteger(length) || length <= 0 || length > BODY_LIMIT) {
      // Without a length the body cannot be looked at and put back; real clients always send one.
      return refuse(ctx, length > BODY_LIMIT ? 413 : 411, 'invalid_request', length > BODY_LIMIT ? 'request body too large' : 'Content-Length is required');
    }
    const body = await peek(ctx.req, length, withoutOfflineAccessOnRefresh);
    if (body === null) return refuse(ctx, 400, 'invalid_request', 'request size did not match content length');
    const params = new URLSearchParams(body.toString('latin1'));
    const basic = basicClientId(ctx.get('authorization'));
    const presented = params.has('client_secret') ? 'client_secret_post' : basic !== null ? 'client_secret_basic' : null;
    const clientId = params.get('client_id') ?? basic;
    if (presented === null || !clientId) return next();
    let client: Awaited<ReturnType<typeof clients.get>>;
    try {
      client = await clients.get(tenant, clientId);
    } catch (err) {
      // Outside the provider's own error handling: answer as it would (a store outage is a 503).
      const { status, body } = oauthErrorAnswer(err);
      return refuse(ctx, status, body.error, body.error_description);
    }
    // The provider reads the same client next: it gets this record instead of a second read.
    oidcRequest()?.clients.set(clientId, client);
    // Unknown clients and public ones are the provider's to refuse.
    if (!client || client.public) return next();
    const registered = clientAuthMethodOf(client);
    if (registered !== presented) {
      ctx.set('WWW-Authenticate', 'Basic realm="supportgate"');
      return refuse(ctx, 401, 'invalid_client', `client authentication failed: this client is registered for ${registered}`);
    }
    return next();
  };
}

function refuse(ctx: KoaContextWithOIDC, status: number, error: string, description: string): undefined {
  ctx.status = status;
  ctx.body = { error, error_description: description };
  return undefined;
}

/** The client id of an `Authorization: Basic` header (form-encoded, as RFC 6749 2.3.1 says), or null. */
function basicClientId(header: string): string | null {
  const m = /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i <= 0) return null;
  try {
    return decodeURIComponent(decoded.slice(0, i).replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/** Resolves on the stream's next 'readable', end, error or close (never rejects). */
function moreOrEnd(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    const events = ['readable', 'end', 'error', 'close'] as const;
    const done = () => {
      for (const e of events) req.off(e, done);
      resolve();
    };
    for (const e of events) req.on(e, done);
  });
}

/**
 * RFC 6749 §6: a refresh may repeat the scope granted at login. `offline_access` asked for the
 * refresh token itself, which the client holds; oidc-provider keeps it out of the grant (Core 11:
 * it would need prompt=consent), so a refresh repeating it would be refused as "not granted".
 * mod_auth_openidc repeats it on every refresh: it is taken out of a refresh's scope instead.
 * Returns the body to hand on (the same buffer when nothing changes).
 */
function withoutOfflineAccessOnRefresh(body: Buffer): Buffer {
  const form = new URLSearchParams(body.toString('latin1'));
  const scope = form.get('scope');
  if (form.get('grant_type') !== 'refresh_token' || scope === null || !scope.split(' ').includes('offline_access')) return body;
  const rest = scope.split(' ').filter((v) => v !== 'offline_access' && v !== '');
  if (rest.length > 0) form.set('scope', rest.join(' '));
  else form.delete('scope');
  return Buffer.from(form.toString(), 'latin1');
}

/**
 * Reads exactly `length` bytes and puts them back at the head of the stream (null if it ends
 * short), as `rewrite` gives them back; a body of another length gets its Content-Length too.
 */
async function peek(req: IncomingMessage, length: number, rewrite: (body: Buffer) => Buffer = (b) => b): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let received = 0;
  while (received < length) {
    const chunk = req.read() as Buffer | null;
    if (chunk !== null) {
      chunks.push(chunk);
      received += chunk.length;
      continue;
    }
    if (req.readableEnded || req.destroyed) break;
    await moreOrEnd(req);
  }
  const body = Buffer.concat(chunks, received);
  const handedOn = received === length ? rewrite(body) : body;
  if (handedOn.length !== body.length) req.headers['content-length'] = String(handedOn.length);
  // Put back in the same tick as the last read, before the stream can signal its end.
  if (received > 0) req.unshift(handedOn);
  return received === length ? handedOn : null;
}
