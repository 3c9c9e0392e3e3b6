/**
 * Who calls the JSON API, from the bearer token: read the header → find the tenant's issuer →
 * find the token there (an access token of a user, else a client-credentials token) → the
 * principal the policy decides on, and the audit context its entries are written with.
 * Every failure before the principal is one answer: 401 with `WWW-Authenticate: Bearer`.
 */
import type { Request, RequestHandler, Response } from 'express';
import type Provider from 'oidc-provider';
import type { AccessToken, ClientCredentials } from 'oidc-provider';
import type { AuditContext } from '../../audit/audited.js';
import type { ClientPrincipal, SupportPrincipal, UserPrincipal } from '../../admin/principal.js';
import { clientAuditIdentity } from '../../clients/clients.js';
import type { Domain } from '../../domain.js';
import { AppError } from '../../errors.js';
import type { ProviderPool } from '../../oidc/pool.js';
import { oidcRequest, withOidcRequest } from '../../oidc/request-context.js';
import { auditIdentity, type SupportSession } from '../../support-access/sessions.js';
import type { User } from '../../users/users.js';
import type { AcceptedToken, VerifiedTokens } from './verified-tokens.js';

/** The caller of one API request. */
export interface Caller {
  /** The tenant whose issuer issued the token (the path's `{tenant}`). */
  tenant: string;
  principal: UserPrincipal | SupportPrincipal | ClientPrincipal;
  audit: AuditContext;
  /** The user a person's token belongs to (john, also for jill$john); null for a client. */
  username: string | null;
  /** The token's scopes (for a client, only those it is still registered for). */
  scopes: string[];
  /** The client the token was issued to. */
  clientId: string;
  /** When the credential stops working at the latest (epoch seconds; null: not known here). */
  expiresAt?: number | null;
}

export interface BearerDeps {
  pool: ProviderPool;
  domain: Pick<Domain, 'users' | 'clients'>;
}

type Found =
  | { kind: 'user'; token: AccessToken; stamp: SupportSession | null; user: User | null }
  | { kind: 'client'; token: ClientCredentials };

const invalid = () => new AppError('INVALID_TOKEN');

/** The token of `Authorization: Bearer <token>` (RFC 6750 §2.1; not in the query, never in a cookie). */
function readBearer(req: Request): string {
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(req.get('authorization') ?? '');
  if (!m) throw new AppError('TOKEN_MISSING');
  return m[1]!;
}

/** The issuer of the path's tenant: an unknown or suspended tenant has no valid token. */
async function issuerOf(pool: ProviderPool, tenant: string): Promise<Provider> {
  const entry = await pool.get(tenant);
  if (!entry) throw invalid();
  return entry.provider;
}

/**
 * The token in the issuer's store, checked as oidc-provider checks one at userinfo: unexpired,
 * its grant still there and its own. The adapter re-checks a support session's token on find
 * (no token once the access ended); its stamp is what this request read, never assumed absent.
 */
async function findToken(deps: BearerDeps, tenant: string, provider: Provider, value: string): Promise<Found> {
  const token = await provider.AccessToken.find(value);
  if (token) {
    // Proof-of-possession (DPoP, mTLS) is not checked here: such tokens are not for this API.
    if (!token.isValid || token.isSenderConstrained() || !token.accountId) throw invalid();
    // The grant and the user, read together (one round trip; the user is checked in userCaller).
    const [grant, user] = await Promise.all([provider.Grant.find(token.grantId, { ignoreExpiration: true }), deps.domain.users.get(tenant, token.accountId)]);
    if (!grant || grant.isExpired || grant.clientId !== token.clientId || grant.accountId !== token.accountId) throw invalid();
    const stamp = oidcRequest()?.tokens.get(value);
    if (stamp === undefined) throw invalid(); // not read through this request's adapter: refuse
    return { kind: 'user', token, stamp, user };
  }
  const machine = await provider.ClientCredentials.find(value);
  if (!machine || !machine.isValid || machine.isSenderConstrained() || !machine.clientId) throw invalid();
  return { kind: 'client', token: machine };
}

const scopesOf = (scope: string | undefined) => (scope ?? '').split(' ').filter((s) => s !== '');

/** A person's token: the user, read now (enabled), as itself or through a support session. */
function userCaller(tenant: string, token: Pick<AcceptedToken, 'scope' | 'clientId' | 'exp'>, stamp: SupportSession | null, user: User | null): Omit<Caller, 'audit'> & { who: ReturnType<typeof auditIdentity> } {
  if (!user || !user.enabled) throw invalid();
  if (stamp && (stamp.tenant !== tenant || stamp.target.id !== user.id)) throw invalid();
  const scopes = scopesOf(token.scope);
  const principal: Caller['principal'] = stamp
    ? { kind: 'support', tenant, userId: user.id, username: user.username, actor: stamp.actor }
    : { kind: 'user', tenant, userId: user.id, username: user.username, roles: user.roles, scopes };
  return { tenant, principal, username: user.username, scopes, clientId: token.clientId, expiresAt: token.exp ?? null, who: auditIdentity(user, stamp) };
}

/** A client's own token: the client must still be registered, its scopes cut to what it still has. */
async function clientCaller(deps: BearerDeps, tenant: string, token: ClientCredentials): Promise<Omit<Caller, 'audit'> & { who: ReturnType<typeof clientAuditIdentity> }> {
  const clientId = token.clientId!;
  const client = await deps.domain.clients.get(tenant, clientId);
  if (!client || client.public) throw invalid();
  const registered = new Set<string>(client.apiScopes ?? []);
  const scopes = scopesOf(token.scope).filter((s) => registered.has(s));
  return { tenant, principal: { kind: 'client', tenant, clientId, scopes }, username: null, scopes, clientId, who: clientAuditIdentity(tenant, clientId) };
}

/** The entries of this caller's actions: who, from where, through which client, in which request. */
function auditContextOf(req: Request, res: Response, who: { who: string; actor: AuditContext['actor'] }, clientId: string): AuditContext {
  return {
    who: who.who,
    actor: who.actor,
    channel: 'api',
    clientAddress: req.ip ?? null,
    userAgent: req.get('user-agent')?.slice(0, 500) || null,
    clientId,
    requestId: (res.locals.requestId as string | undefined) ?? null,
  };
}

/**
 * Finds the caller of `req` in `tenant`'s issuer (default: the path's `{tenant}`), or throws a
 * 401. Forward-auth asks with the tenant of the proxied host.
 */
export async function identifyCaller(deps: BearerDeps, req: Request, res: Response, tenant = String(req.params.tenant), verdicts?: VerifiedTokens): Promise<Caller> {
  const value = readBearer(req);
  const held = verdicts ? await verdicts.recheck(tenant, value) : null;
  if (held) {
    const { who, ...caller } = userCaller(tenant, held.token, held.token.stamp, held.user);
    return { ...caller, audit: auditContextOf(req, res, who, caller.clientId) };
  }
  const provider = await issuerOf(deps.pool, tenant);
  // The adapter keeps what it read (support stamps) in the request state: one per API request.
  return withOidcRequest(
    async () => {
      const found = await findToken(deps, tenant, provider, value);
      if (found.kind === 'client') {
        const { who, ...caller } = await clientCaller(deps, tenant, found.token);
        return { ...caller, audit: auditContextOf(req, res, who, caller.clientId) };
      }
      const accepted: AcceptedToken = { accountId: found.token.accountId!, clientId: found.token.clientId!, scope: found.token.scope, exp: found.token.exp, stamp: found.stamp };
      const { who, ...caller } = userCaller(tenant, accepted, found.stamp, found.user);
      const reads = oidcRequest()?.reads;
      if (verdicts && reads) verdicts.remember(tenant, value, accepted, reads);
      return { ...caller, audit: auditContextOf(req, res, who, caller.clientId) };
    },
    { recordReads: verdicts !== undefined },
  );
}

/** The middleware: `res.locals.caller`, or the 401 with its challenge (RFC 6750 §3). */
export function bearerAuthentication(deps: BearerDeps): RequestHandler {
  return async function authenticate(req, res, next) {
    try {
      res.locals.caller = await identifyCaller(deps, req, res);
      next();
    } catch (err) {
      if (err instanceof AppError && err.code === 'INVALID_TOKEN') {
        // No token at all gets the bare challenge; a token that did not do gets invalid_token.
        res.set('WWW-Authenticate', err.key === 'TOKEN_MISSING' ? 'Bearer realm="supportgate"' : 'Bearer realm="supportgate", error="invalid_token"');
      }
      next(err);
    }
  };
}
