import { Passport } from 'passport';
import * as oidc from 'openid-client';
import { Strategy, type VerifyFunction } from 'openid-client/passport';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../errors.js';
import { CONSOLE_CLIENT_ID, consolePaths } from './console-client.js';
import type { ConsoleIdentity } from './sessions.js';

export interface ConsoleSignInDeps {
  publicUrl: string;
  /**
   * Where this process itself answers (http://127.0.0.1:PORT): the console fetches discovery, keys
   * and tokens from its own issuer there, not through PUBLIC_URL's proxy and DNS. The issuer's
   * URLs stay PUBLIC_URL's (the gateway pins the forwarded headers).
   */
  internalOrigin: () => string;
  /** The built-in client signing in (default: the console's) and its callback for a tenant. */
  client?: { id: string; callback: (tenant: string) => string };
}

/** What the sign-in callback yields: the identity the ID token names. */
type Claims = { sub: string; preferred_username?: string; auth_time?: number; act?: { sub?: string; preferred_username?: string } };

/**
 * The console as a relying party of its tenant's issuer, through passport and openid-client's
 * strategy (authorization code + PKCE): the console obeys the same login rules, support windows
 * and immediate end as every other app. One strategy per tenant, made at its first sign-in.
 */
export class ConsoleSignIn {
  private readonly passport = new Passport();
  private readonly strategies = new Map<string, Promise<string>>();

  private readonly client: { id: string; callback: (tenant: string) => string };

  constructor(private readonly deps: ConsoleSignInDeps) {
    this.client = deps.client ?? { id: CONSOLE_CLIENT_ID, callback: (tenant) => consolePaths(deps.publicUrl, tenant).callback };
  }

  /** Rewrites the issuer's public origin to this process's own address (see internalOrigin). */
  private readonly fetchInternally: oidc.CustomFetch = (url, options) => {
    const target = new URL(url);
    const publicOrigin = new URL(this.deps.publicUrl).origin;
    const to = target.origin === publicOrigin ? new URL(target.pathname + target.search, this.deps.internalOrigin()) : target;
    return fetch(to, options as RequestInit);
  };

  private async strategyFor(tenant: string): Promise<string> {
    let name = this.strategies.get(tenant);
    if (!name) {
      name = this.register(tenant);
      this.strategies.set(tenant, name);
      name.catch(() => this.strategies.delete(tenant));
    }
    return name;
  }

  private async register(tenant: string): Promise<string> {
    const issuer = new URL(`${this.deps.publicUrl}/t/${tenant}`);
    const config = await oidc.discovery(issuer, this.client.id, { token_endpoint_auth_method: 'none' }, oidc.None(), {
      [oidc.customFetch]: this.fetchInternally,
      ...(issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
    });
    config[oidc.customFetch] = this.fetchInternally;
    const verify: VerifyFunction = (tokens, done) => {
      const claims = tokens.claims() as Claims | undefined;
      if (!claims?.sub || !tokens.id_token) return done(null, false);
      const identity: ConsoleIdentity = {
        userId: claims.sub,
        username: claims.preferred_username ?? claims.sub,
        support: claims.act?.sub ? { actor: { id: claims.act.sub, username: claims.act.preferred_username ?? claims.act.sub }, startedAt: (claims.auth_time ?? 0) * 1000 } : null,
        idToken: tokens.id_token,
        signedInAt: 0,
      };
      return done(null, identity);
    };
    const name = `${this.client.id}:${tenant}`;
    this.passport.use(name, new Strategy({ config, name, sessionKey: 'oidc', callbackURL: this.client.callback(tenant), scope: 'openid profile' }, verify));
    return name;
  }

  /**
   * Runs the strategy on a request whose `session` is the console session's data: it either
   * redirects to the issuer (starting a sign-in; `beforeRedirect` stores the session first, since
   * the PKCE verifier must be kept before the browser can come back) or, on the callback, resolves
   * with the identity (null when the issuer said no, e.g. the user cancelled).
   */
  async authenticate(
    tenant: string,
    req: Request,
    res: Response,
    next: NextFunction,
    session: Record<string, unknown>,
    options: { prompt?: string | undefined; beforeRedirect: () => Promise<void> },
  ): Promise<ConsoleIdentity | null | 'redirected'> {
    const name = await this.strategyFor(tenant);
    (req as Request & { session: Record<string, unknown> }).session = session;
    return new Promise((resolve, reject) => {
      // passport answers a redirect with res.end() itself: hold that end until the session is stored.
      const end = res.end.bind(res);
      res.end = ((...args: unknown[]) => {
        res.end = end;
        options.beforeRedirect().then(
          () => {
            (end as (...a: unknown[]) => Response)(...args);
            resolve('redirected');
          },
          (err: unknown) => {
            res.removeHeader('Location');
            res.statusCode = 200;
            reject(err);
          },
        );
        return res;
      }) as Response['end'];
      const authenticate = this.passport.authenticate(name, { session: false, ...(options.prompt ? { prompt: options.prompt } : {}) }, (err: unknown, user: ConsoleIdentity | false) => {
        res.end = end;
        if (err) reject(err);
        else resolve(user || null);
      }) as (req: Request, res: Response, next: NextFunction) => void;
      authenticate(req, res, next);
    });
  }
}
