import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { VNode } from 'preact';
import { adminRunner } from '../../admin/context.js';
import { adminFor, type Admin } from '../../admin/index.js';
import type { AdminAction, AdminTarget } from '../../admin/policy.js';
import type { Principal } from '../../admin/principal.js';
import type { AuditContext } from '../../audit/audited.js';
import type { DigestSource } from '../../audit/verify.js';
import type { Domain } from '../../domain.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { getSettings, type Settings } from '../../settings/settings.js';
import { auditIdentity } from '../../support-access/sessions.js';
import { MANAGEMENT_TENANT } from '../../tenants/tenants.js';
import type { PublicUser } from '../../users/users.js';
import { toPublicUser } from '../../users/users.js';
import type { ConsoleFrame, NavItem } from '../../views/console/layout.js';
import { renderPage } from '../../views/render.js';
import type { IssuerLocals } from '../issuers.js';
import { stillSignedIn } from '../signed-in.js';
import { CONSOLE_CLIENT_ID } from './console-client.js';
import { csrfMatches, type ConsoleSession, type ConsoleSessions } from './sessions.js';
import type { ConsoleSignIn } from './sign-in.js';

export interface ConsoleDeps {
  domain: Domain;
  sessions: ConsoleSessions;
  signIn: ConsoleSignIn;
  publicUrl: string;
  logger: Logger;
  /** The signed digests "Verify chain" checks each chain against. */
  digests?: DigestSource | undefined;
}

/** One signed-in console request: who, as what principal, with their admin actions and page frame. */
export interface Console {
  tenant: string;
  base: string;
  id: string;
  session: ConsoleSession;
  sessions: ConsoleSessions;
  /** The user the console acts as (john, also in jill$john's support session), as now stored. */
  user: PublicUser;
  support: { actor: { id: string; username: string }; until: number | null } | null;
  principal: Principal;
  admin: Admin;
  audit: AuditContext;
  frame: ConsoleFrame;
  /** The signed digests "Verify chain" checks against (see ConsoleDeps). */
  digests: DigestSource | undefined;
  /** The global support settings as they are now (the period chooser's choices and default). */
  settings: () => Promise<Settings>;
  /**
   * For a page that shows a form before any admin action runs (own password): the permission the
   * action will ask for, checked like an admin read. Refused: recorded as `access.denied`, thrown.
   */
  mayOpen: (permission: AdminAction, target: AdminTarget) => Promise<void>;
}

export const consoleBase = (tenant: string) => `/t/${tenant}/console`;

/**
 * The console's pages may load its one external script (progressive enhancement only) and post
 * forms to itself; sign-out continues at the issuer on the same origin.
 */
const CONSOLE_CSP = ["default-src 'self'", "base-uri 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "object-src 'none'", "frame-ancestors 'none'", "form-action 'self'"].join('; ');

export const consoleHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.set('Cache-Control', 'no-store');
  res.locals.pages = true;
  next();
};

/** The pages each principal has in its navigation: only what its roles can open. */
function navFor(base: string, tenant: string, user: PublicUser, support: boolean): NavItem[] {
  const items: NavItem[] = [{ href: base, label: 'Support access' }];
  if (support) return items;
  const roles = new Set(user.roles);
  const management = tenant === MANAGEMENT_TENANT;
  const admin = management ? roles.has('platform-admin') : roles.has('tenant-admin');
  if (!management && admin) items.push({ href: `${base}/properties`, label: 'Properties' });
  if (management && admin) items.push({ href: `${base}/tenants`, label: 'Tenants' });
  if (admin) items.push({ href: `${base}/users`, label: management ? 'Staff' : 'Users' }, { href: `${base}/clients`, label: 'Clients' }, { href: `${base}/settings`, label: 'Settings' });
  if (roles.has('auditor')) items.push({ href: `${base}/audit`, label: 'Audit' });
  return items;
}

/** Sends a rendered page (never cached: every page shows someone's data). */
export function sendPage(res: Response, page: VNode, status = 200): void {
  res.status(status).type('html').send(renderPage(page));
}

/** The console of this request (set by `requireSignIn`). */
export function consoleOf(res: Response): Console {
  const c = res.locals.console as Console | undefined;
  if (!c) throw new AppError('INTERNAL');
  return c;
}

/** A posted console form must carry the session's token. */
export function requireCsrf(req: Request, c: Console): void {
  if (!csrfMatches(c.session, (req.body as Record<string, unknown> | undefined)?.csrf)) throw new AppError('CONSOLE_FORM_EXPIRED');
}

/** After the user changed their own password here: this console session stays signed in. */
export async function keepAfterOwnPasswordChange(res: Response, c: Console, changedAt: number): Promise<void> {
  c.session.identity!.ownPasswordChangeAt = changedAt;
  await c.sessions.save(res, c.id, c.session);
}

/** Shows `message` on the next page (after a redirect). */
export async function flash(res: Response, c: Console, message: string): Promise<void> {
  c.session.flash = message;
  await c.sessions.save(res, c.id, c.session);
}

/**
 * Every console page but sign-in: the session must be signed in and still allowed
 * (`stillSignedIn`, the rule forward-auth's cookie sessions obey too); the user is read fresh
 * (roles, enabled). When it no longer holds, the console session ends and the click lands on the
 * sign-in.
 */
export function requireSignIn(deps: ConsoleDeps): RequestHandler {
  const { domain, sessions } = deps;
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const tenant = (res.locals as IssuerLocals).tenant;
      const base = consoleBase(tenant);
      const loaded = await sessions.load(req, tenant);
      /** To the sign-in; `ended`: this session was signed in and no longer holds. */
      const toSignIn = async (ended: boolean) => {
        if (loaded) await sessions.destroy(res, tenant, loaded.id);
        await sessions.start(res, tenant, { ...(req.method === 'GET' ? { returnTo: req.originalUrl } : {}), ...(ended ? { reauthenticate: true } : {}) });
        res.redirect(303, `${base}/login`);
      };
      const identity = loaded?.session.identity;
      if (!loaded || !identity) return void (await toSignIn(false));
      const signedIn = await stillSignedIn(domain, tenant, identity);
      if (!signedIn.ok) return void (await toSignIn(true));
      const { user, support } = signedIn;
      const publicUser = toPublicUser(user);
      const who = auditIdentity({ id: user.id, username: user.username, tenant }, support);
      const audit: AuditContext = { who: who.who, actor: who.actor, channel: 'console', clientAddress: req.ip ?? null, userAgent: req.get('user-agent')?.slice(0, 500) ?? null, clientId: CONSOLE_CLIENT_ID, requestId: (res.locals.requestId as string | undefined) ?? null };
      const principal: Principal = support
        ? { kind: 'support', tenant, userId: user.id, username: user.username, actor: support.actor }
        : { kind: 'user', tenant, userId: user.id, username: user.username, roles: user.roles };
      const flashMessage = loaded.session.flash;
      if (flashMessage !== undefined) {
        delete loaded.session.flash;
        await sessions.save(res, loaded.id, loaded.session);
      }
      const c: Console = {
        tenant,
        base,
        id: loaded.id,
        session: loaded.session,
        sessions,
        user: publicUser,
        support,
        principal,
        admin: adminFor(domain, audit, principal, deps.logger),
        audit,
        settings: () => getSettings(domain.settings),
        digests: deps.digests,
        mayOpen: (permission, target) => adminRunner({ domain, principal, audit, logger: deps.logger }).read(permission, target, async () => undefined),
        frame: {
          tenant,
          base,
          username: user.username,
          support: support ? { actor: support.actor.username, until: support.until } : null,
          nav: navFor(base, tenant, publicUser, support !== null),
          current: req.baseUrl + req.path === `${base}/` ? base : (req.baseUrl + req.path).replace(/\/$/, ''),
          csrf: loaded.session.csrf,
          now: domain.clock.now(),
          flash: flashMessage,
        },
      };
      res.locals.console = c;
      next();
    } catch (err) {
      next(err);
    }
  };
}
