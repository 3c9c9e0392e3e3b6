/**
 * Forward-auth (SPEC §5): a reverse proxy (nginx `auth_request`, Traefik ForwardAuth, Envoy
 * ext_authz) asks `GET /auth/verify` whether the request it holds may pass, and who it is. One
 * decision is the named steps readOriginal → tenantOfHost → identify → applyMode → record →
 * answer; 200 with the identity headers, 401 not signed in (or the access ended), 403 forbidden.
 */
import { Router, type Request, type Response } from 'express';
import type { AuditContext } from '../audit/audited.js';
import type { Domain } from '../domain.js';
import { AppError, toAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ProviderPool } from '../oidc/pool.js';
import { supportModeOf } from '../settings/settings.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import { identifyCaller, type Caller } from './api/bearer.js';

export interface ForwardAuthDeps {
  pool: ProviderPool;
  domain: Pick<Domain, 'users' | 'clients' | 'tenants' | 'settings' | 'audit'>;
  logger: Logger;
}

/** The request the proxy holds, as its forwarded headers describe it. */
interface Original {
  method: string;
  uri: string;
  host: string;
}

/** What a support session may do in read-only mode (SPEC §2 support.mode). */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const first = (v: string | undefined) => v?.split(',')[0]?.trim() || undefined;

/**
 * The original method, URI and host, from the proxy's headers (`X-Forwarded-*`, or nginx's
 * `X-Original-*`). Only a proxy TRUST_PROXY names may describe a request: anyone else could
 * claim any host and method.
 */
function readOriginal(req: Request): Original {
  const trusted = (req.app.get('trust proxy fn') as (address: string, hop: number) => boolean)(req.socket.remoteAddress ?? '', 0);
  if (!trusted) throw new AppError('FORWARD_AUTH_UNTRUSTED');
  const method = (first(req.get('x-forwarded-method')) ?? first(req.get('x-original-method')) ?? 'GET').toUpperCase().slice(0, 20);
  const uri = (first(req.get('x-forwarded-uri')) ?? req.get('x-original-uri') ?? '/').slice(0, 2000);
  const host = (first(req.get('x-forwarded-host')) ?? req.get('host') ?? '').toLowerCase().slice(0, 300);
  return { method, uri, host };
}

/** The tenant whose domain the proxied host is (`tenant create --domain`); the port does not count. */
async function tenantOfHost(deps: ForwardAuthDeps, host: string): Promise<string> {
  const name = host.replace(/:\d+$/, '');
  const tenant = name ? await deps.domain.tenants.findByDomain(name) : null;
  if (!tenant || tenant.status !== 'active') throw new AppError('FORWARD_AUTH_NO_TENANT');
  return tenant.id;
}

/** In read-only mode a support session may only read; everyone else is decided by the app. */
async function applyMode(deps: ForwardAuthDeps, caller: Caller, original: Original): Promise<void> {
  if (caller.principal.kind === 'client') throw new AppError('FORWARD_AUTH_PEOPLE_ONLY');
  if (caller.principal.kind !== 'support') return;
  const mode = await supportModeOf(deps.domain.settings, caller.tenant);
  if (mode.effective === 'read-only' && !READ_METHODS.has(original.method)) throw new AppError('FORWARD_AUTH_READ_ONLY');
}

/** The headers the upstream app reads: the user, the tenant, the support user, the audit name (and oauth2-proxy's names). */
function identityHeaders(res: Response, caller: Caller): void {
  const p = caller.principal;
  if (p.kind === 'client') return;
  res.set('X-Auth-User', p.username);
  res.set('X-Auth-Tenant', caller.tenant);
  res.set('X-Auth-Audit-Name', caller.audit.who);
  if (p.kind === 'support') res.set('X-Auth-Actor', p.actor.username);
  res.set('X-Auth-Request-User', p.username);
  res.set('X-Auth-Request-Preferred-Username', p.username);
}

export function forwardAuthRoutes(deps: ForwardAuthDeps): Router {
  const router = Router();
  router.get('/auth/verify', async function verify(req, res, next) {
    res.set('Cache-Control', 'no-store');
    let original: Original | null = null;
    let tenant: string | null = null;
    let caller: Caller | null = null;
    const record = async (status: number, cause: string | null) => {
      const base: AuditContext = caller
        ? { ...caller.audit, channel: 'forward-auth' }
        : { who: 'anonymous', actor: null, channel: 'forward-auth', clientAddress: req.ip ?? null, userAgent: req.get('user-agent')?.slice(0, 500) ?? null, requestId: (res.locals.requestId as string | undefined) ?? null };
      await deps.domain.audit.record({
        ...base,
        tenant: tenant ?? MANAGEMENT_TENANT,
        ...(caller && caller.principal.kind !== 'client' ? { subject: { type: 'user', id: caller.principal.userId, name: caller.principal.username, tenant: caller.tenant } } : {}),
        action: status === 200 ? 'forward-auth.allowed' : 'forward-auth.denied',
        outcome: status === 200 ? 'success' : 'failure',
        cause,
        details: { method: original?.method ?? req.method, path: (original?.uri ?? req.originalUrl).slice(0, 500), host: original?.host ?? null, status },
      });
    };
    try {
      original = readOriginal(req);
      tenant = await tenantOfHost(deps, original.host);
      caller = await identifyCaller(deps, req, res, tenant);
      await applyMode(deps, caller, original);
      // Fail closed: the decision is recorded before the proxy lets the request through.
      await record(200, null);
      identityHeaders(res, caller);
      res.status(200).end();
    } catch (err) {
      const e = toAppError(err);
      if (e.status >= 500) return next(err);
      if (e.status === 401) res.set('WWW-Authenticate', 'Bearer realm="supportgate"');
      try {
        // The untrusted caller is not recorded: it could fill the log with anything.
        if (e.key !== 'FORWARD_AUTH_UNTRUSTED') await record(e.status, e.message.slice(0, 500));
      } catch (auditErr) {
        return next(auditErr);
      }
      res.locals.pages = false;
      next(e);
    }
  });
  return router;
}
