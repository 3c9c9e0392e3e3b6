/**
 * The demo's tenant app: a small relying party (express + openid-client) that signs in against a
 * tenant's issuer and shows who is signed in — "jill (support) as john" when the ID token has
 * an `act` claim — with a sign-out button (RP-initiated logout).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import express from 'express';
import helmet from 'helmet';
import * as client from 'openid-client';
import { STYLESHEET } from '../views/styles.js';
import { signedInPage, signedOutPage, signInFailedPage } from './pages.js';

export interface DemoAppOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  port: number;
  /** Base URL of the app as the browser sees it. */
  baseUrl: string;
}

interface AppSession {
  pkce?: { verifier: string; state: string };
  claims?: client.IDToken;
  idToken?: string;
}

function identity(claims: client.IDToken): string {
  const act = claims.act as { preferred_username?: string } | undefined;
  const user = String(claims.preferred_username ?? claims.sub);
  return act ? `${act.preferred_username ?? 'support'} (support) as ${user}` : user;
}

export async function startDemoApp(opts: DemoAppOptions): Promise<{ server: Server; stop: () => Promise<void> }> {
  // The demo client is registered for client_secret_basic, the gateway's default.
  const config = await client.discovery(new URL(opts.issuer), opts.clientId, opts.clientSecret, client.ClientSecretBasic(opts.clientSecret), {
    execute: opts.issuer.startsWith('http://') ? [client.allowInsecureRequests] : [],
  });
  const sessions = new Map<string, AppSession>();
  const redirectUri = `${opts.baseUrl}/callback`;
  const app = express();
  app.disable('x-powered-by');
  app.use(helmet({ contentSecurityPolicy: { directives: { 'form-action': ["'self'", new URL(opts.issuer).origin] } } }));

  const sessionOf = (req: express.Request, res: express.Response): AppSession => {
    const sid = /(?:^|;\s*)demo_sid=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (sid && sessions.has(sid)) return sessions.get(sid)!;
    const fresh = randomBytes(18).toString('base64url');
    const s: AppSession = {};
    sessions.set(fresh, s);
    res.cookie('demo_sid', fresh, { httpOnly: true, sameSite: 'lax', path: '/' });
    return s;
  };

  // The same path as the gateway's, which the pages' shared Document links to.
  app.get('/static/supportgate.css', (_req, res) => {
    res.type('text/css').send(STYLESHEET);
  });

  app.get('/', (req, res) => {
    const s = sessionOf(req, res);
    if (!s.claims) {
      res.type('html').send(signedOutPage());
      return;
    }
    const c = s.claims;
    const shown = Object.entries(c)
      .filter(([k]) => ['sub', 'preferred_username', 'tenant', 'act', 'amr', 'exp'].includes(k))
      .map(([k, v]): [string, string] => [k, typeof v === 'object' ? JSON.stringify(v) : String(v ?? '')]);
    res.type('html').send(signedInPage(identity(c), shown));
  });

  app.get('/login', async (req, res, next) => {
    try {
      const s = sessionOf(req, res);
      const verifier = client.randomPKCECodeVerifier();
      s.pkce = { verifier, state: client.randomState() };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid profile',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: s.pkce.state,
        prompt: 'login',
      });
      res.redirect(url.toString());
    } catch (err) {
      next(err);
    }
  });

  app.get('/callback', async (req, res) => {
    const s = sessionOf(req, res);
    try {
      if (!s.pkce) throw new Error('no sign-in in progress');
      const tokens = await client.authorizationCodeGrant(config, new URL(req.originalUrl, opts.baseUrl), { pkceCodeVerifier: s.pkce.verifier, expectedState: s.pkce.state });
      s.claims = tokens.claims();
      s.idToken = tokens.id_token;
      delete s.pkce;
      res.redirect('/');
    } catch (err) {
      res.status(400).type('html').send(signInFailedPage((err as Error).message));
    }
  });

  app.post('/logout', (req, res) => {
    const s = sessionOf(req, res);
    const idToken = s.idToken;
    delete s.claims;
    delete s.idToken;
    const url = client.buildEndSessionUrl(config, { post_logout_redirect_uri: `${opts.baseUrl}/`, ...(idToken ? { id_token_hint: idToken } : {}) });
    res.redirect(url.toString());
  });

  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(opts.port, resolve));
  return {
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
