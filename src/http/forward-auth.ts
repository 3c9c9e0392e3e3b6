/**
 * Forward-auth (SPEC §5): a reverse proxy (nginx `auth_request`, Traefik ForwardAuth, Envoy
 * ext_authz) asks `GET /auth/verify` whether the request it holds may pass, and who it is. One
 * decision is the named steps readOriginal → tenantOfRequest → identify → applyMode →
 * identityHeaders → record → answer; 200 with the identity headers, 401 not signed in (or the access ended), 403 forbidden.
 */
import { Router, type Request, type Response } from 'express';
import type { AuditContext } from '../audit/audited.js';
import type { Domain } from '../domain.js';
import { AppError, toAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ForwardAuthOutcome, GatewayMetrics } from '../metrics/metrics.js';
import type { ProviderPool } from '../oidc/pool.js';
import { supportModeOf } from '../settings/settings.js';
import { cookieDomainOf, isSameOrUnder, MANAGEMENT_TENANT } from '../tenants/tenants.js';
import { parse as parseCookies } from 'cookie';
import { auditIdentity } from '../support-access/sessions.js';
import { identifyCaller, type Caller } from './api/bearer.js';
import { FORWARD_AUTH_CLIENT_ID, forwardAuthPaths } from './console/console-client.js';
import { MessagePage } from '../views/messages.js';
import { renderPage } from '../views/render.js';
import type { ConsoleSignIn } from './console/sign-in.js';
import { newId, parseTenantId, type ForwardAuthSessions } from './forward-auth-sessions.js';
import { stillSignedIn } from './signed-in.js';
import type { UpstreamTokens } from './forward-auth-token.js';
import type { VerifiedTokens } from './api/verified-tokens.js';

export interface ForwardAuthDeps {
  pool: ProviderPool;
  domain: Pick<Domain, 'users' | 'clients' | 'tenants' | 'settings' | 'audit' | 'windows' | 'clock'>;
  logger: Logger;
  /** Browser sign-in for the apps behind the proxy (absent: bearer tokens only). */
  browser?: { sessions: ForwardAuthSessions; signIn: ConsoleSignIn; publicUrl: string } | undefined;
  /** FORWARD_AUTH_TENANT_HEADER (lower case), if the proxy names the tenant in a header. */
  tenantHeader?: string | null | undefined;
  /** X-Auth-Token for the upstream (FORWARD_AUTH_TOKEN_SECONDS > 0). */
  upstreamTokens?: UpstreamTokens | null | undefined;
  /** Bearer tokens already accepted, re-checked in one round trip (see verified-tokens.ts). */
  verdicts?: VerifiedTokens | undefined;
  /** Counts each decision (absent: metrics off). */
  metrics?: Pick<GatewayMetrics, 'forwardAuthDecided'> | undefined;
}

/** The cookie of a browser signed in for one tenant's apps (on the app's host), and of a sign-in under way (on the gateway's). */
const SESSION_COOKIE = 'sg_fa';
const PENDING_COOKIE = 'sg_fa_signin';

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

/**
 * The tenant of the proxied request: the one the proxy names in FORWARD_AUTH_TENANT_HEADER when
 * that is configured and sent, else the one whose domain the host is.
 */
async function tenantOfRequest(deps: ForwardAuthDeps, req: Request, original: Original): Promise<string> {
  const sent = deps.tenantHeader ? req.get(deps.tenantHeader) : undefined;
  if (sent === undefined || sent.trim() === '') return tenantOfHost(deps, original.host);
  // One value, exactly: a proxy that appends its own to the client's would otherwise let the
  // client's win. (Header names are matched whatever their case, and repeats arrive joined by commas.)
  const named = sent.trim();
  const tenant = /^[a-z][a-z0-9-]{1,62}$/.test(named) ? await deps.domain.tenants.get(named) : null;
  if (!tenant || tenant.status !== 'active' || tenant.id === MANAGEMENT_TENANT) throw new AppError('FORWARD_AUTH_NO_TENANT');
  // A host that is a tenant's own domain belongs to that tenant, whatever a header says.
  const owner = await deps.domain.tenants.findByDomain(original.host.replace(/:\d+$/, ''));
  if (owner && owner.id !== tenant.id) throw new AppError('FORWARD_AUTH_NO_TENANT');
  return tenant.id;
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

/**
 * The headers the upstream app reads: the user, the tenant, the support user, the audit name (and
 * oauth2-proxy's names), and the signed X-Auth-Token when configured, for the app's origin.
 */
async function identityHeaders(deps: ForwardAuthDeps, req: Request, caller: Caller, original: Original): Promise<Record<string, string>> {
  const p = caller.principal;
  if (p.kind === 'client') return {};
  const headers: Record<string, string> = {
    'X-Auth-User': p.username,
    'X-Auth-Tenant': caller.tenant,
    'X-Auth-Audit-Name': caller.audit.who,
    ...(p.kind === 'support' ? { 'X-Auth-Actor': p.actor.username } : {}),
    'X-Auth-Request-User': p.username,
    'X-Auth-Request-Preferred-Username': p.username,
  };
  if (deps.upstreamTokens) {
    const proto = first(req.get('x-forwarded-proto')) === 'https' ? 'https' : 'http';
    headers['X-Auth-Token'] = await deps.upstreamTokens.tokenFor(
      { tenant: caller.tenant, userId: p.userId, username: p.username, actor: p.kind === 'support' ? p.actor : null, endsAt: caller.expiresAt ?? null },
      `${proto}://${original.host}`,
    );
  }
  return headers;
}

/**
 * The browser's forward-auth session (cookie `sg_fa` on the app's host): of this host's tenant,
 * and still signed in by the console's rule (`stillSignedIn`: user enabled, no suspension or
 * password set since the sign-in, a support session still allowed as its tokens are). When that
 * no longer holds the session is deleted: the cookie is dead.
 */
async function cookieCaller(deps: ForwardAuthDeps, req: Request, res: Response, tenant: string): Promise<Caller> {
  const browser = deps.browser!;
  const ref = parseTenantId(parseCookies(req.headers.cookie ?? '')[SESSION_COOKIE]);
  if (!ref || ref.tenant !== tenant) throw new AppError('TOKEN_MISSING');
  const session = await browser.sessions.get(tenant, ref.id);
  if (!session) throw new AppError('INVALID_TOKEN');
  const signedIn = await stillSignedIn(deps.domain, tenant, session.identity);
  if (!signedIn.ok) {
    await browser.sessions.end(tenant, ref.id);
    throw new AppError('INVALID_TOKEN');
  }
  const { user, support } = signedIn;
  const who = auditIdentity(user, support);
  return {
    tenant,
    principal: support ? { kind: 'support', tenant, userId: user.id, username: user.username, actor: support.actor } : { kind: 'user', tenant, userId: user.id, username: user.username, roles: user.roles, scopes: [] },
    username: user.username,
    scopes: [],
    clientId: FORWARD_AUTH_CLIENT_ID,
    expiresAt: support?.until ? Math.floor(support.until / 1000) : null,
    audit: { who: who.who, actor: who.actor, channel: 'forward-auth', clientAddress: req.ip ?? null, userAgent: req.get('user-agent')?.slice(0, 500) ?? null, clientId: FORWARD_AUTH_CLIENT_ID, requestId: (res.locals.requestId as string | undefined) ?? null },
  };
}

const hostName = (host: string) => host.replace(/:\d+$/, '').toLowerCase();

/** The tenant's cookie domain when `host` is it or under it (else the cookie stays the host's). */
async function cookieDomainFor(deps: ForwardAuthDeps, tenant: string, host: string): Promise<string | null> {
  const record = await deps.domain.tenants.get(tenant);
  const domain = record ? cookieDomainOf(record) : null;
  return domain && isSameOrUnder(host, domain) ? domain : null;
}

/** `rd`: an http(s) address on a domain of an active tenant served here (no open redirect). */
async function returnAddress(deps: ForwardAuthDeps, rd: unknown): Promise<{ url: URL; tenant: string }> {
  let url: URL;
  try {
    url = new URL(typeof rd === 'string' ? rd : '');
  } catch {
    throw new AppError('FORWARD_AUTH_RD_INVALID');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AppError('FORWARD_AUTH_RD_INVALID');
  const tenant = await deps.domain.tenants.findByDomain(url.hostname.toLowerCase());
  if (!tenant || tenant.status !== 'active') throw new AppError('FORWARD_AUTH_RD_INVALID');
  return { url, tenant: tenant.id };
}

/**
 * Browser sign-in for apps behind the proxy. The sign-in runs on the gateway's own origin (the
 * tenant's login page, passport + openid-client as the console); the session then goes to the
 * app's host by a one-time code at `/auth/complete` (which the proxy routes to the gateway), and
 * that host gets the cookie — a host the gateway could not set a cookie for from its own.
 */
function browserSignIn(deps: ForwardAuthDeps, router: Router): void {
  const browser = deps.browser!;
  const pages = (_req: Request, res: Response, next: () => void) => {
    res.locals.pages = true;
    res.set('Cache-Control', 'no-store');
    next();
  };

  router.get('/auth/signin', pages, async function signIn(req, res, next) {
    try {
      const { url, tenant } = await returnAddress(deps, req.query.rd);
      const id = newId();
      const pending: Record<string, unknown> = {};
      res.cookie(PENDING_COOKIE, `${tenant}.${id}`, { path: '/auth', httpOnly: true, sameSite: 'lax', secure: browser.publicUrl.startsWith('https:'), maxAge: 600_000 });
      await browser.signIn.authenticate(tenant, req, res, next, pending, {
        beforeRedirect: () => browser.sessions.savePending(tenant, id, { rd: url.href, oidc: pending.oidc as Record<string, unknown> }),
      });
    } catch (err) {
      next(err);
    }
  });

  router.get('/auth/callback', pages, async function callback(req, res, next) {
    try {
      const ref = parseTenantId(parseCookies(req.headers.cookie ?? '')[PENDING_COOKIE]);
      const pending = ref ? await browser.sessions.takePending(ref.tenant, ref.id) : null;
      res.clearCookie(PENDING_COOKIE, { path: '/auth' });
      if (!ref || !pending?.oidc) throw new AppError('FORWARD_AUTH_SIGN_IN_EXPIRED');
      const identity = await browser.signIn.authenticate(ref.tenant, req, res, next, { oidc: pending.oidc }, { beforeRedirect: async () => undefined });
      if (identity === 'redirected') return;
      if (!identity) throw new AppError('FORWARD_AUTH_SIGN_IN_EXPIRED');
      const sessionId = await browser.sessions.start({ tenant: ref.tenant, identity: { ...identity, signedInAt: browser.sessions.now() } });
      const code = await browser.sessions.handOver(ref.tenant, sessionId, pending.rd);
      const complete = new URL('/auth/complete', pending.rd);
      complete.searchParams.set('code', `${ref.tenant}.${code}`);
      res.redirect(303, complete.href);
    } catch (err) {
      next(err);
    }
  });

  // On the app's host (routed there by the proxy): the code becomes this host's cookie, or the
  // cookie of the tenant's cookie domain when the host is under it (one sign-in for all its apps).
  router.get('/auth/complete', pages, async function complete(req, res, next) {
    try {
      const original = readOriginal(req);
      const ref = parseTenantId(typeof req.query.code === 'string' ? req.query.code : undefined);
      const taken = ref ? await browser.sessions.takeOver(ref.tenant, ref.id) : null;
      if (!ref || !taken) throw new AppError('FORWARD_AUTH_SIGN_IN_EXPIRED');
      const rd = new URL(taken.rd);
      const host = hostName(original.host);
      // The code is good only on the host it was made for.
      if (rd.hostname.toLowerCase() !== host || (await tenantOfHost(deps, original.host)) !== ref.tenant) throw new AppError('FORWARD_AUTH_SIGN_IN_EXPIRED');
      const domain = await cookieDomainFor(deps, ref.tenant, host);
      // A host-only cookie of an earlier sign-in would be sent first and shadow the new one.
      if (domain) res.clearCookie(SESSION_COOKIE, { path: '/' });
      res.cookie(SESSION_COOKIE, `${ref.tenant}.${taken.sessionId}`, { path: '/', httpOnly: true, sameSite: 'lax', secure: rd.protocol === 'https:', maxAge: 8 * 3600_000, ...(domain ? { domain } : {}) });
      res.redirect(303, rd.href);
    } catch (err) {
      next(err);
    }
  });

  // On the app's host: the forward-auth session ends here, the issuer's session at its
  // end_session endpoint (as the console signs out), which then shows /auth/signed-out.
  router.get('/auth/signout', pages, async function signOut(req, res, next) {
    try {
      const ref = parseTenantId(parseCookies(req.headers.cookie ?? '')[SESSION_COOKIE]);
      const session = ref ? await browser.sessions.get(ref.tenant, ref.id) : null;
      if (ref) await browser.sessions.end(ref.tenant, ref.id);
      let app: string | null = null;
      try {
        const original = readOriginal(req);
        app = `${first(req.get('x-forwarded-proto')) === 'https' ? 'https' : 'http'}://${original.host}/`;
        const tenant = ref?.tenant ?? (await tenantOfHost(deps, original.host).catch(() => null));
        const domain = tenant ? await cookieDomainFor(deps, tenant, hostName(original.host)) : null;
        if (domain) res.clearCookie(SESSION_COOKIE, { path: '/', domain });
      } catch {
        // Not through a trusted proxy: the session still ends, there is no app to go back to.
      }
      res.clearCookie(SESSION_COOKIE, { path: '/' });
      const signedOut = new URL(forwardAuthPaths(browser.publicUrl).signedOut);
      if (!session?.identity.idToken) {
        if (app) signedOut.searchParams.set('rd', app);
        return void res.redirect(303, signedOut.href);
      }
      const end = new URL(`${browser.publicUrl}/t/${session.tenant}/session/end`);
      end.searchParams.set('client_id', FORWARD_AUTH_CLIENT_ID);
      end.searchParams.set('id_token_hint', session.identity.idToken);
      end.searchParams.set('post_logout_redirect_uri', signedOut.href);
      if (app) end.searchParams.set('state', app);
      res.redirect(303, end.href);
    } catch (err) {
      next(err);
    }
  });

  // On the gateway's origin, after the issuer's sign-out: a way back to the app (a tenant domain only).
  router.get('/auth/signed-out', pages, async function signedOut(req, res, next) {
    try {
      const back = await returnAddress(deps, req.query.state ?? req.query.rd).catch(() => null);
      const link = back ? { href: new URL('/', back.url).href, label: `Back to ${back.url.host}` } : undefined;
      res.type('html').send(renderPage(MessagePage({ title: 'Signed out', message: 'You are signed out of the applications behind this gateway.', link })));
    } catch (err) {
      next(err);
    }
  });
}

/**
 * The refusal the proxy acts on: nginx reads only the status; Traefik shows the body to the
 * browser, so it says why in the catalogue's words. Answered here, not by the error handler:
 * a refusal is an ordinary answer on this path, at the rate the apps behind the proxy get requests.
 */
function refuse(res: Response, e: AppError): void {
  if (e.status === 401) res.set('WWW-Authenticate', 'Bearer realm="supportgate"');
  res.status(e.status).json({ error: e.code.toLowerCase(), message: e.message, requestId: res.locals.requestId as string | undefined });
}

/** A refusal's outcome label by its status. */
const refusalOutcome = (status: number): ForwardAuthOutcome => (status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : 'refused');

/** `GET /auth/verify`: mounted ahead of the page middleware (see AppDeps.hotRouters). */
export function forwardAuthVerify(deps: ForwardAuthDeps): Router {
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
      tenant = await tenantOfRequest(deps, req, original);
      caller = req.get('authorization') || !deps.browser ? await identifyCaller(deps, req, res, tenant, deps.verdicts) : await cookieCaller(deps, req, res, tenant);
      await applyMode(deps, caller, original);
      const headers = await identityHeaders(deps, req, caller, original);
      // Fail closed: the decision is recorded before the proxy lets the request through.
      await record(200, null);
      res.set(headers);
      res.status(200).end();
      deps.metrics?.forwardAuthDecided('allowed', null);
    } catch (err) {
      const e = toAppError(err);
      if (e.status >= 500) {
        deps.metrics?.forwardAuthDecided('error', e.key);
        return next(err);
      }
      try {
        // The untrusted caller is not recorded: it could fill the log with anything.
        if (e.key !== 'FORWARD_AUTH_UNTRUSTED') await record(e.status, e.message.slice(0, 500));
      } catch (auditErr) {
        deps.metrics?.forwardAuthDecided('error', toAppError(auditErr).key);
        return next(auditErr);
      }
      deps.metrics?.forwardAuthDecided(refusalOutcome(e.status), e.key);
      refuse(res, e);
    }
  });
  return router;
}

/** Browser sign-in for the apps behind the proxy (`/auth/signin`, `/auth/callback`, `/auth/complete`, `/auth/signout`). */
export function forwardAuthRoutes(deps: ForwardAuthDeps): Router {
  const router = Router();
  if (deps.browser) browserSignIn(deps, router);
  return router;
}
