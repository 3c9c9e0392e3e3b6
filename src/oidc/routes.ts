import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import type { Domain } from '../domain.js';
import type { Logger } from '../logger.js';
import { checkLogin } from '../support-access/login.js';
import { loginAuditContext, parseLoginForm, type LoginForm } from './login.js';
import { withOidcRequest } from './request-context.js';
import { tooManyFailuresMessage, type LoginLimits } from './login-limits.js';
import type { ProviderPool } from './pool.js';
import { auditIdentity, type SupportSessionStore } from '../support-access/sessions.js';
import { consentPage, errorPage, loginPage, STYLESHEET } from './views.js';

export interface OidcRoutesDeps {
  pool: ProviderPool;
  domain: Domain;
  /** PUBLIC_URL: the only origin the issuers' URLs are built from. */
  publicUrl: string;
  cookieSecret: string;
  logger: Logger;
  sessions: SupportSessionStore;
  limits: LoginLimits;
}

/** A form token bound to one interaction: an HMAC only this deployment can make. */
function csrfToken(secret: string, tenant: string, uid: string): string {
  return createHmac('sha256', secret).update(`csrf:${tenant}:${uid}`).digest('base64url');
}

function csrfValid(secret: string, tenant: string, uid: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const expected = Buffer.from(csrfToken(secret, tenant, uid));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Each tenant's login-page CSP, whose form-action also lets the login's redirect reach the
 * tenant's apps. Built from the tenant's clients and kept 5 s per process: a new client's origin
 * is allowed within seconds without reading every client on every page.
 */
class CspCache {
  private readonly entries = new Map<string, { csp: string; until: number }>();
  constructor(private readonly domain: Domain) {}

  async for(tenant: string): Promise<string> {
    const now = this.domain.clock.now();
    const cached = this.entries.get(tenant);
    if (cached && cached.until > now) return cached.csp;
    const csp = await buildCsp(this.domain, tenant);
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(tenant, { csp, until: now + 5000 });
    return csp;
  }
}

async function buildCsp(domain: Domain, tenant: string): Promise<string> {
  const origins = new Set<string>();
  for (const c of await domain.clients.list(tenant)) {
    for (const u of [...c.redirectUris, ...c.postLogoutRedirectUris]) origins.add(new URL(u).origin);
  }
  return [
    "default-src 'self'",
    "base-uri 'self'",
    "script-src 'none'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    `form-action 'self' ${[...origins].join(' ')}`.trim(),
  ].join('; ');
}

/**
 * oidc-provider (Koa, `proxy` on) builds every URL it answers with from X-Forwarded-Proto/-Host
 * and takes the client address from the leftmost X-Forwarded-For. Neither may come from a client:
 * the issuer's URLs are always PUBLIC_URL's, and the address is the one express derived from the
 * proxies TRUST_PROXY names.
 */
function pinForwardedHeaders(req: Request, publicUrl: URL): void {
  const address = req.ip ?? req.socket.remoteAddress ?? '';
  req.headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
  req.headers['x-forwarded-host'] = publicUrl.host;
  req.headers['x-forwarded-for'] = address;
  delete req.headers.forwarded;
}

const form = express.urlencoded({ extended: false, limit: '10kb' });

/** True after answering 415 to a POST that is not a form (JSON, XML, multipart, no body...). */
function notAForm(req: Request, res: Response, what: string): boolean {
  if (req.is('application/x-www-form-urlencoded')) return false;
  res.status(415).type('html').send(errorPage(`${what} form expected`, `The ${what.toLowerCase()} form must be sent as a form (application/x-www-form-urlencoded). Go back to the application and sign in again.`));
  return true;
}

/** The login form's fields, or null after answering 415 (not a form) or 400 (a field missing, repeated or too long). */
function loginFormOf(req: Request, res: Response): LoginForm | null {
  if (notAForm(req, res, 'Sign-in')) return null;
  const fields = parseLoginForm(req.body);
  if (!fields) res.status(400).type('html').send(errorPage('Sign-in form not valid', 'The sign-in form was incomplete or not valid. Go back to the application and sign in again.'));
  return fields;
}

/**
 * The tenant issuers at /t/{tenant}: our login and consent pages for oidc-provider's
 * interactions, and everything else handed to the tenant's provider.
 */
export function oidcRoutes(deps: OidcRoutesDeps): Router {
  const { pool, domain, cookieSecret, logger } = deps;
  const audit = domain.audit;
  const publicUrl = new URL(deps.publicUrl);
  const csp = new CspCache(domain);
  const router = Router();

  router.get('/static/supportgate.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(STYLESHEET);
  });

  router.use('/t/:tenant', async (req, res, next) => {
    try {
      const tenant = req.params.tenant!;
      const entry = await pool.get(tenant);
      if (!entry) {
        res.status(404).type('html').send(errorPage('Unknown tenant', `There is no active tenant "${tenant}" here. Check the address or the Tenant ID.`));
        return;
      }
      res.locals.provider = entry.provider;
      res.locals.handler = entry.handler;
      res.locals.tenant = tenant;
      res.setHeader('Content-Security-Policy', await csp.for(tenant));
      pinForwardedHeaders(req, publicUrl);
      // Everything this request does at the issuer shares one request state (see request-context).
      withOidcRequest(() => next());
    } catch (err) {
      next(err);
    }
  });

  const interaction = async (req: Request, res: Response) => {
    const provider = res.locals.provider as Provider;
    return provider.interactionDetails(req, res);
  };

  /** A posted interaction form with a valid CSRF token, or null after answering 403 with `what` expired. */
  const postedForm = async (req: Request, res: Response, what: string) => {
    const tenant = res.locals.tenant as string;
    const provider = res.locals.provider as Provider;
    if (notAForm(req, res, what)) return null;
    const details = await interaction(req, res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!csrfValid(cookieSecret, tenant, details.uid, body.csrf)) {
      res.status(403).type('html').send(errorPage(`${what} expired`, `This ${what.toLowerCase()} form is no longer valid. Go back to the application and sign in again.`));
      return null;
    }
    return { tenant, provider, details, body };
  };

  router.get('/t/:tenant/interaction/:uid', async (req, res, next) => {
    try {
      const tenant = res.locals.tenant as string;
      const details = await interaction(req, res);
      const client = await (res.locals.provider as Provider).Client.find(String(details.params.client_id));
      const csrf = csrfToken(cookieSecret, tenant, details.uid);
      res.set('Cache-Control', 'no-store');
      if (details.prompt.name === 'consent') {
        res.type('html').send(consentPage({ action: `/t/${tenant}/interaction/${details.uid}/consent`, csrf, clientName: client?.clientId ?? 'an application', scopes: String(details.params.scope ?? '').split(' ').filter(Boolean), tenant }));
        return;
      }
      res.type('html').send(loginPage({ action: `/t/${tenant}/interaction/${details.uid}/login`, csrf, tenant, clientName: client?.clientId ?? tenant }));
    } catch (err) {
      next(err);
    }
  });

  // The login POST in its steps: the form → the interaction and its CSRF token → the limits,
  // which count the attempt before the password is checked → the password → the answer, audited
  // before it is sent.
  router.post('/t/:tenant/interaction/:uid/login', form, async (req, res, next) => {
    try {
      const fields = loginFormOf(req, res);
      if (!fields) return;
      const posted = await postedForm(req, res, 'Sign-in');
      if (!posted) return;
      const { tenant, provider, details } = posted;
      const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : null;
      const requestId = (res.locals.requestId as string | undefined) ?? null;
      // The form again, with what was typed (never the password) and why it did not work.
      const showForm = (status: number, error: string) =>
        res.status(status).type('html').send(loginPage({ action: `/t/${tenant}/interaction/${details.uid}/login`, csrf: csrfToken(cookieSecret, tenant, details.uid), tenant, username: fields.username, error, clientName: clientId ?? tenant }));
      const attempt = await deps.limits.begin(tenant, fields.username, req.ip ?? 'unknown');
      if (!attempt.allowed) {
        const ctx = loginAuditContext(fields.username.trim().slice(0, 200) || '(empty)', req, clientId, requestId);
        await audit.record({ ...ctx, tenant, action: 'login.failed', outcome: 'failure', cause: `rate-limited (${attempt.limit})` });
        res.set('Retry-After', String(attempt.retryAfterSeconds));
        showForm(429, tooManyFailuresMessage(attempt.retryAfterSeconds));
        return;
      }
      let outcome: Awaited<ReturnType<typeof checkLogin>>;
      try {
        outcome = await checkLogin(domain, { tenant, tenantField: fields.tenant, username: fields.username, password: fields.password });
        if (outcome.ok || outcome.verified) await deps.limits.verified(attempt);
      } finally {
        await deps.limits.finished(attempt);
      }
      const ctx = { ...loginAuditContext(outcome.who, req, clientId, requestId), actor: outcome.actor };
      if (outcome.ok === 'next-step') {
        // No step beyond the password is offered yet: a login that needs one never finishes here.
        await audit.record({ ...ctx, tenant, subject: outcome.subject, action: 'login.failed', outcome: 'failure', cause: `step not offered: ${outcome.step}` });
        showForm(403, 'This sign-in needs a step this gateway does not offer.');
        return;
      }
      if (!outcome.ok) {
        await audit.record({ ...ctx, tenant, subject: outcome.subject, action: 'login.failed', outcome: 'failure', cause: outcome.cause.slice(0, 500) });
        showForm(401, outcome.message);
        return;
      }
      const s = outcome.support;
      // The entry is written before the session exists: no login completes unaudited.
      await audit.record({
        ...ctx,
        tenant,
        subject: outcome.subject,
        action: 'login.succeeded',
        outcome: 'success',
        details: { amr: ['pwd'], ...(s ? { supportUntil: s.until === null ? null : new Date(s.until).toISOString() } : {}) },
      });
      if (s) await domain.windows.noteLogin(tenant, { at: domain.clock.now(), who: outcome.who, supportUser: s.actor.username, user: s.target.username });
      await provider.interactionFinished(req, res, { login: { accountId: outcome.accountId, amr: ['pwd'], remember: true }, ...(s ? { support: s } : {}) }, { mergeWithLastSubmission: false });
    } catch (err) {
      next(err);
    }
  });

  router.post('/t/:tenant/interaction/:uid/consent', form, async (req, res, next) => {
    try {
      const posted = await postedForm(req, res, 'Consent');
      if (!posted) return;
      const { tenant, provider, details, body } = posted;
      if (details.prompt.name !== 'consent' || !details.session?.accountId) {
        res.status(403).type('html').send(errorPage('Consent expired', 'This consent form is no longer valid. Go back to the application and sign in again.'));
        return;
      }
      const clientId = String(details.params.client_id);
      const support = details.session.uid ? await deps.sessions.get(tenant, details.session.uid) : null;
      const user = await domain.users.get(tenant, details.session.accountId);
      const { who } = auditIdentity({ id: details.session.accountId, username: user?.username ?? support?.target.username ?? null, tenant }, support);
      if (body.decision !== 'allow') {
        await audit.record({ ...loginAuditContext(who, req, clientId, null), tenant, action: 'consent.granted', outcome: 'failure', cause: 'denied by the user' });
        await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user denied access' }, { mergeWithLastSubmission: false });
        return;
      }
      const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session.accountId, clientId });
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      if (missing.missingOIDCScope) grant!.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant!.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant!.save();
      await audit.record({ ...loginAuditContext(who, req, clientId, null), tenant, action: 'consent.granted', outcome: 'success', details: { scopes: missing.missingOIDCScope ?? [] } });
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    } catch (err) {
      next(err);
    }
  });

  // Everything else under the issuer is the provider's (discovery, authorize, token, ...).
  router.use('/t/:tenant', (req, res) => {
    (res.locals.handler as ReturnType<Provider['callback']>)(req, res);
  });

  router.use((err: unknown, _req: Request, res: Response, next: (e?: unknown) => void) => {
    const name = (err as { name?: string }).name;
    if (name === 'SessionNotFound' || name === 'InvalidRequest') {
      res.status(400).type('html').send(errorPage('Sign-in expired', 'This sign-in has expired or was already used. Go back to the application and sign in again.'));
      return;
    }
    logger.debug(`oidc route error: ${(err as Error).message}`);
    next(err);
  });
  return router;
}
