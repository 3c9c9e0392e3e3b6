import { Router, type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import type { Domain } from '../domain.js';
import { AppError } from '../errors.js';
import type { LoginAttempt, LoginLimits } from '../support-access/login-limits.js';
import { ACR_PASSWORD, acrSatisfiable } from '../oidc/acr.js';
import { clientNameOf, grantConsent } from '../oidc/interactions.js';
import { oidcRequest } from '../oidc/request-context.js';
import { tooManyFailuresWait } from '../support-access/login-limits.js';
import { checkLogin, type LoginOutcome } from '../support-access/login.js';
import { parseLoginName } from '../support-access/login-name.js';
import type { GatewayMetrics, LoginCause } from '../metrics/metrics.js';
import { auditIdentity, type SupportSessionStore } from '../support-access/sessions.js';
import { consentPage } from '../views/consent.js';
import { loginPage } from '../views/login.js';
import { browserAuditContext, consentFormSchema, csrfToken, csrfValid, formBody, formFields, loginFormSchema, type LoginForm } from './forms.js';
import type { IssuerLocals } from './issuers.js';

export interface InteractionRoutesDeps {
  domain: Domain;
  /** COOKIE_SECRETS, newest first: the newest signs the forms' CSRF values, every one checks them. */
  cookieSecret: readonly string[];
  sessions: SupportSessionStore;
  limits: LoginLimits;
  /** Counts each login's outcome (absent: metrics off). */
  metrics?: Pick<GatewayMetrics, 'login'> | undefined;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** One login POST as it goes through its steps. */
interface LoginRequest {
  req: Request;
  res: Response;
  tenant: string;
  provider: Provider;
  details: Details;
  form: LoginForm;
  clientId: string | null;
  attempt?: LoginAttempt & { allowed: true };
  outcome?: LoginOutcome;
}

/** A step answers the request (and stops the login) by returning false. */
type LoginStep = (login: LoginRequest) => Promise<boolean>;

/**
 * The tenant's login and consent pages for oidc-provider's interactions. The login POST is a
 * short pipeline of named steps, so a trace reads like the sign-in: checkCsrf → countAttempt →
 * checkCredentials → recordOutcome → finishLogin.
 */
export function interactionRoutes(deps: InteractionRoutesDeps): Router {
  const { domain, cookieSecret, limits, metrics } = deps;
  const audit = domain.audit;
  const router = Router();
  const requestIdOf = (res: Response) => (res.locals.requestId as string | undefined) ?? null;
  /** Counts a login once its outcome is recorded: a support login by what was typed (`jill$john`). */
  const count = (l: LoginRequest, cause: LoginCause) => metrics?.login(parseLoginName(l.form.username)?.kind ?? 'user', cause === 'none' ? 'success' : 'refused', cause);

  /** The login form again, with what was typed (never the password) and why it did not work. */
  const showLoginForm = (l: LoginRequest, status: number, error: string) => {
    l.res.status(status).type('html').send(loginPage({ action: `/t/${l.tenant}/interaction/${l.details.uid}/login`, csrf: csrfToken(cookieSecret, l.tenant, l.details.uid), tenant: l.tenant, username: l.form.username, error, clientName: l.clientId ?? l.tenant }));
  };

  const checkCsrf: LoginStep = async (l) => {
    if (!csrfValid(cookieSecret, l.tenant, l.details.uid, l.form.csrf)) throw new AppError('FORM_EXPIRED', undefined, { params: { form: 'Sign-in' } });
    return true;
  };

  // Counted before the password is checked, so parallel guesses cannot pass a limit.
  const countAttempt: LoginStep = async (l) => {
    const attempt = await limits.begin(l.tenant, l.form.username, l.req.ip ?? 'unknown');
    if (attempt.allowed) {
      l.attempt = attempt;
      return true;
    }
    const ctx = browserAuditContext(l.form.username.trim().slice(0, 200) || '(empty)', l.req, l.clientId, requestIdOf(l.res));
    await audit.record({ ...ctx, tenant: l.tenant, action: 'login.failed', outcome: 'failure', cause: `rate-limited (${attempt.limit})` });
    count(l, 'rate-limited');
    l.res.set('Retry-After', String(attempt.retryAfterSeconds));
    showLoginForm(l, 429, new AppError('TOO_MANY_ATTEMPTS', undefined, { params: { wait: tooManyFailuresWait(attempt.retryAfterSeconds) } }).message);
    return false;
  };

  const checkCredentials: LoginStep = async (l) => {
    const attempt = l.attempt!;
    try {
      l.outcome = await checkLogin(domain, { tenant: l.tenant, tenantField: l.form.tenant, username: l.form.username, password: l.form.password });
      if (l.outcome.ok || l.outcome.verified) await limits.verified(attempt);
    } finally {
      await limits.finished(attempt);
    }
    return true;
  };

  // Every outcome is recorded before it is answered: no login completes unaudited.
  const recordOutcome: LoginStep = async (l) => {
    const outcome = l.outcome!;
    const ctx = { ...browserAuditContext(outcome.who, l.req, l.clientId, requestIdOf(l.res)), actor: outcome.actor, subject: outcome.subject, tenant: l.tenant };
    if (outcome.ok === 'next-step') {
      // No step beyond the password is offered yet: a login that needs one never finishes here.
      await audit.record({ ...ctx, action: 'login.failed', outcome: 'failure', cause: `step not offered: ${outcome.step}` });
      count(l, 'step-not-offered');
      showLoginForm(l, 403, new AppError('LOGIN_STEP_NOT_OFFERED').message);
      return false;
    }
    if (!outcome.ok) {
      await audit.record({ ...ctx, action: 'login.failed', outcome: 'failure', cause: outcome.cause.slice(0, 500) });
      count(l, outcome.refusal);
      showLoginForm(l, 401, outcome.message);
      return false;
    }
    const s = outcome.support;
    await audit.record({ ...ctx, action: 'login.succeeded', outcome: 'success', details: { amr: ['pwd'], ...(s ? { supportUntil: s.until === null ? null : new Date(s.until).toISOString() } : {}) } });
    count(l, 'none');
    if (s) await domain.windows.noteLogin(l.tenant, { at: domain.clock.now(), who: outcome.who, supportUser: s.actor.username, user: s.target.username });
    return true;
  };

  const finishLogin: LoginStep = async (l) => {
    const outcome = l.outcome as LoginOutcome & { ok: true };
    // What provider.interactionFinished does, on the interaction this request already read (it
    // would read it and check its cookie again: one more round trip per login).
    // (An interaction that expired while the password was checked is not brought back.)
    const ttl = l.details.exp - Math.floor(domain.clock.now() / 1000);
    if (ttl <= 0) throw new AppError('SIGN_IN_EXPIRED');
    l.details.result = { login: { accountId: outcome.accountId, acr: ACR_PASSWORD, amr: ['pwd'], remember: true }, ...(outcome.support ? { support: outcome.support } : {}) };
    await l.details.save(ttl);
    l.res.redirect(303, l.details.returnTo);
    return false;
  };

  const loginSteps: LoginStep[] = [checkCsrf, countAttempt, checkCredentials, recordOutcome, finishLogin];

  router.get('/t/:tenant/interaction/:uid', async (req, res, next) => {
    try {
      const { tenant, provider } = res.locals as IssuerLocals;
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login' && !acrSatisfiable(details.params.claims)) {
        // A password cannot meet the essential acr asked for: the app hears so, rather than
        // getting a token at a lower level than it required (OIDC Core 5.5.1.1, 3.1.2.6).
        await provider.interactionFinished(req, res, { error: 'unmet_authentication_requirements', error_description: `this issuer signs in with a password only (${ACR_PASSWORD}); the essential acr asked for cannot be met` }, { mergeWithLastSubmission: false });
        return;
      }
      const clientName = await clientNameOf(provider, details);
      const csrf = csrfToken(cookieSecret, tenant, details.uid);
      res.set('Cache-Control', 'no-store');
      if (details.prompt.name === 'consent') {
        res.type('html').send(consentPage({ action: `/t/${tenant}/interaction/${details.uid}/consent`, csrf, clientName: clientName ?? 'an application', scopes: String(details.params.scope ?? '').split(' ').filter(Boolean), tenant }));
        return;
      }
      res.type('html').send(loginPage({ action: `/t/${tenant}/interaction/${details.uid}/login`, csrf, tenant, clientName: clientName ?? tenant }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/t/:tenant/interaction/:uid/login', formBody, async (req, res, next) => {
    try {
      const form = formFields(req, loginFormSchema, 'Sign-in');
      const { tenant, provider } = res.locals as IssuerLocals;
      const details = await provider.interactionDetails(req, res);
      const login: LoginRequest = { req, res, tenant, provider, details, form, clientId: typeof details.params.client_id === 'string' ? details.params.client_id : null };
      for (const step of loginSteps) if (!(await step(login))) return;
    } catch (err) {
      next(err);
    }
  });

  router.post('/t/:tenant/interaction/:uid/consent', formBody, async (req, res, next) => {
    try {
      const form = formFields(req, consentFormSchema, 'Consent');
      const { tenant, provider } = res.locals as IssuerLocals;
      const details = await provider.interactionDetails(req, res);
      if (!csrfValid(cookieSecret, tenant, details.uid, form.csrf) || details.prompt.name !== 'consent' || !details.session?.accountId) {
        throw new AppError('FORM_EXPIRED', undefined, { params: { form: 'Consent' } });
      }
      const clientId = String(details.params.client_id);
      // Who consents: the stamp the stored session carries (read just now), else its support mark.
      const uid = details.session.uid;
      const support = uid ? (oidcRequest()?.sessions.get(uid) ?? (await deps.sessions.get(tenant, uid))) : null;
      const user = await domain.users.get(tenant, details.session.accountId);
      const { who } = auditIdentity({ id: details.session.accountId, username: user?.username ?? support?.target.username ?? null, tenant }, support);
      const ctx = { ...browserAuditContext(who, req, clientId, requestIdOf(res)), tenant, action: 'consent.granted' as const };
      if (form.decision !== 'allow') {
        await audit.record({ ...ctx, outcome: 'failure', cause: 'denied by the user' });
        await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user denied access' }, { mergeWithLastSubmission: false });
        return;
      }
      const { grantId, scopes } = await grantConsent(provider, details, details.session.accountId, clientId);
      await audit.record({ ...ctx, outcome: 'success', details: { scopes } });
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
