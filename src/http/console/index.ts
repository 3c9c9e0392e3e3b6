import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { AppError, toAppError } from '../../errors.js';
import { ConsoleErrorPage } from '../../views/console/layout.js';
import { ConsoleMessage } from '../../views/console/signed-out.js';
import { formBody } from '../forms.js';
import type { IssuerLocals } from '../issuers.js';
import { consoleBase, consoleHeaders, consoleOf, requireCsrf, requireSignIn, sendPage, type Console, type ConsoleDeps } from './context.js';
import { CONSOLE_CLIENT_ID, consolePaths } from './console-client.js';
import { auditPages } from './audit.js';
import { directoryPages } from './directory.js';
import { propertiesPages } from './properties.js';
import { supportPages } from './support.js';

export type { ConsoleDeps } from './context.js';

/** Only console paths are followed after sign-in (no open redirect). */
const safeReturn = (tenant: string, to: string | undefined) => (to && to.startsWith(`${consoleBase(tenant)}`) && !to.includes('//') ? to : consoleBase(tenant));

/**
 * The web console at /t/{tenant}/console, a first-party OIDC client of the tenant's own issuer:
 * sign-in (passport + openid-client), then the pages of each role, all calling the same admin
 * actions as the CLI and the JSON API.
 */
export function consoleRoutes(deps: ConsoleDeps): Router {
  const { sessions, signIn } = deps;
  const router = Router();
  const tenantOf = (res: Response) => (res.locals as IssuerLocals).tenant;
  router.use('/t/:tenant/console', consoleHeaders);

  // Sign-in: to the issuer with code + PKCE; the verifier waits in a fresh console session.
  router.get('/t/:tenant/console/login', async (req, res, next) => {
    try {
      const tenant = tenantOf(res);
      const loaded = await sessions.load(req, tenant);
      const { id, session } = loaded && !loaded.session.identity ? loaded : await sessions.start(res, tenant, { returnTo: loaded?.session.returnTo ?? consoleBase(tenant) });
      const pending: Record<string, unknown> = {};
      const outcome = await signIn.authenticate(tenant, req, res, next, pending, {
        prompt: session.reauthenticate ? 'login' : undefined,
        beforeRedirect: async () => {
          session.oidc = pending.oidc as Record<string, unknown>;
          await sessions.save(res, id, session);
        },
      });
      if (outcome !== 'redirected') throw new AppError('INTERNAL');
    } catch (err) {
      next(err);
    }
  });

  router.get('/t/:tenant/console/callback', async (req, res, next) => {
    try {
      const tenant = tenantOf(res);
      const loaded = await sessions.load(req, tenant);
      if (!loaded?.session.oidc) {
        // An old or replayed callback: start again.
        res.redirect(303, `${consoleBase(tenant)}/login`);
        return;
      }
      const identity = await signIn.authenticate(tenant, req, res, next, { oidc: loaded.session.oidc }, { beforeRedirect: async () => undefined });
      await sessions.destroy(res, tenant, loaded.id);
      if (identity === 'redirected') return;
      if (!identity) {
        sendPage(res, ConsoleMessage({ title: 'Not signed in', message: `The sign-in to the ${tenant} console did not finish.`, signIn: `${consoleBase(tenant)}/login` }), 401);
        return;
      }
      // A new session (new id) for the signed-in identity: the pre-sign-in id is never promoted.
      await sessions.start(res, tenant, { identity: { ...identity, signedInAt: deps.domain.clock.now() } });
      res.redirect(303, safeReturn(tenant, loaded.session.returnTo));
    } catch (err) {
      next(err);
    }
  });

  router.get('/t/:tenant/console/signed-out', (_req, res) => {
    const tenant = tenantOf(res);
    sendPage(res, ConsoleMessage({ title: 'Signed out', message: `You are signed out of the ${tenant} console.`, signIn: `${consoleBase(tenant)}/login` }));
  });

  const signedIn = Router({ mergeParams: true });
  signedIn.use(requireSignIn(deps));

  // Sign-out: the console session ends here, the issuer's session at its end_session endpoint.
  signedIn.post('/logout', formBody, async (req, res, next) => {
    try {
      const c = consoleOf(res);
      requireCsrf(req, c);
      await sessions.destroy(res, c.tenant, c.id);
      const end = new URL(`${deps.publicUrl}/t/${c.tenant}/session/end`);
      end.searchParams.set('client_id', CONSOLE_CLIENT_ID);
      end.searchParams.set('id_token_hint', c.session.identity!.idToken);
      end.searchParams.set('post_logout_redirect_uri', consolePaths(deps.publicUrl, c.tenant).signedOut);
      res.redirect(303, end.pathname + end.search);
    } catch (err) {
      next(err);
    }
  });

  signedIn.use(supportPages());
  signedIn.use(propertiesPages());
  signedIn.use(directoryPages());
  signedIn.use(auditPages());
  router.use('/t/:tenant/console', signedIn);
  router.use('/t/:tenant/console', consoleErrors);
  return router;
}

/**
 * Errors on console pages: a refusal or a bad form as a console page (with the navigation, so
 * the way back is one click); anything else goes to the one error handler.
 */
const consoleErrors: ErrorRequestHandler = (err, _req: Request, res: Response, next) => {
  const c = res.locals.console as Console | undefined;
  const appError = toAppError(err);
  if (!c || res.headersSent || appError.status >= 500) {
    next(err);
    return;
  }
  sendPage(res, ConsoleErrorPage({ frame: c.frame, title: appError.title, message: appError.message }), appError.status);
};
