import { Router, type Request } from 'express';
import type Provider from 'oidc-provider';
import type { Domain } from '../domain.js';
import { AppError } from '../errors.js';
import type { ProviderPool } from '../oidc/pool.js';
import { oauthErrorAnswer } from '../oidc/errors.js';
import { withOidcRequest } from '../oidc/request-context.js';
import { CONSOLE_SCRIPT, CONSOLE_STYLESHEET } from '../views/console/styles.js';
import { formBody } from './forms.js';
import { STYLESHEET } from '../views/styles.js';

export interface IssuerRoutesDeps {
  pool: ProviderPool;
  domain: Domain;
  /** PUBLIC_URL: the only origin the issuers' URLs are built from. */
  publicUrl: string;
  /** The login and consent pages, mounted before the provider takes the rest. */
  interactions: Router;
  /** The web console at /t/{tenant}/console (also before the provider). */
  console?: Router | undefined;
}

/** What the routes below the issuer middleware find in `res.locals`. */
export interface IssuerLocals {
  tenant: string;
  provider: Provider;
  handler: ReturnType<Provider['callback']>;
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
  // Forward-auth's sign-in ends on the app's host (a tenant domain, any port): /auth/complete.
  for (const d of (await domain.tenants.get(tenant))?.domains ?? []) origins.add(`${d}:*`);
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

/** Issuer paths people open in a browser: the authorization request, the sign-in pages, logout. */
const PAGE_PATHS = /^\/(auth|interaction|session\/end|console)(\/|$)/i;

/**
 * The tenant issuers at /t/{tenant}: the tenant's provider found (404 for an unknown or suspended
 * tenant), our login and consent pages for its interactions, and everything else handed to it.
 */
export function issuerRoutes(deps: IssuerRoutesDeps): Router {
  const { pool, domain } = deps;
  const publicUrl = new URL(deps.publicUrl);
  const csp = new CspCache(domain);
  const router = Router();

  router.get('/static/supportgate.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(STYLESHEET + CONSOLE_STYLESHEET);
  });
  router.get('/static/supportgate.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'public, max-age=3600').send(CONSOLE_SCRIPT);
  });

  // RFC 8414 §3.1: the authorization server metadata of issuer {PUBLIC_URL}/t/{tenant} is at
  // /.well-known/oauth-authorization-server/t/{tenant} (the well-known part goes after the host);
  // the issuer answers it from its own path, the same document as its OIDC discovery's base.
  router.get('/.well-known/oauth-authorization-server/t/:tenant', (req, _res, next) => {
    req.url = `/t/${encodeURIComponent(req.params.tenant!)}/.well-known/oauth-authorization-server`;
    next();
  });

  router.use('/t/:tenant', async (req, res, next) => {
    // The sign-in pages are for people; every other issuer path is an API for programs (JSON).
    const page = PAGE_PATHS.test(req.path);
    try {
      if (page) res.locals.pages = true;
      const tenant = req.params.tenant!;
      const entry = await pool.get(tenant);
      if (!entry) throw new AppError('UNKNOWN_TENANT', undefined, { params: { tenant } });
      const locals: IssuerLocals = { tenant, provider: entry.provider, handler: entry.handler };
      Object.assign(res.locals, locals);
      res.setHeader('Content-Security-Policy', await csp.for(tenant));
      pinForwardedHeaders(req, publicUrl);
      // Everything this request does at the issuer shares one request state (see request-context).
      withOidcRequest(() => next());
    } catch (err) {
      // A program calling an endpoint (discovery, JWKS, token, userinfo, introspection,
      // revocation) gets the OAuth error it expects in JSON, whatever its Accept header says (a
      // library's default Accept may well name text/html first); a sign-in page gets the page.
      if (!page) {
        res.set('Cache-Control', 'no-store');
        const { status, body } = oauthErrorAnswer(err);
        if (status === 503) res.set('Retry-After', '5');
        res.status(status).json(body);
        return;
      }
      next(err);
    }
  });
  router.use(deps.interactions);
  if (deps.console) router.use(deps.console);
  // Core 3.1.2.1 and RP-Initiated Logout §2: the authorization and end-session endpoints take a
  // form POST too. oidc-provider would serve POST only with its session cookie SameSite=None
  // (a cross-site POST carries no Lax cookie); instead the same request is sent on as a GET (303),
  // a top-level navigation that carries the Lax cookie: nothing of the session's CSRF protection is given up.
  router.post(['/t/:tenant/auth', '/t/:tenant/session/end'], formBody, (req, res, next) => {
    // Only a form (the specs' POST); anything else is refused in words, never a 5xx.
    if (!req.is('application/x-www-form-urlencoded') || typeof req.body !== 'object' || req.body === null) {
      next(new AppError('FORM_EXPECTED', undefined, { params: { form: req.path.endsWith('/auth') ? 'authorization request' : 'logout request' } }));
      return;
    }
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(req.body as Record<string, string | string[]>)) {
      for (const v of Array.isArray(value) ? value : [value]) query.append(name, v);
    }
    res.set('Cache-Control', 'no-store').redirect(303, `${deps.publicUrl}${req.baseUrl}${req.path}?${query}`);
  });
  router.post('/t/:tenant/token', (_req, res, next) => {
    // RFC 6749 §5.1: no cache may keep a token response (oidc-provider sends Cache-Control: no-store).
    res.setHeader('Pragma', 'no-cache');
    next();
  });
  // Everything else under the issuer is the provider's (discovery, authorize, token, ...).
  router.use('/t/:tenant', (req, res) => {
    (res.locals as IssuerLocals).handler(req, res);
  });
  return router;
}
