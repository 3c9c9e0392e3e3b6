import Provider, { type Configuration, type KoaContextWithOIDC, type Account } from 'oidc-provider';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config.js';
import type { RedisClient } from '../redis/client.js';
import type { Domain } from '../domain.js';
import type { Logger } from '../logger.js';
import type { KeyMaterial } from '../secrets/keys.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import { adapterFor } from './adapter.js';
import { supportStillAllowed, type SupportSession, type SupportSessions } from './support-sessions.js';
import { errorPage, logoutPage } from './views.js';

/** What an interaction's result carries beyond `login` when a support user signed in. */
export interface SupportLoginResult {
  actor: { id: string; username: string };
  target: { id: string; username: string };
  until: number | null;
}

export interface ProviderDeps {
  config: Config;
  redis: RedisClient;
  domain: Domain;
  keys: KeyMaterial;
  sessions: SupportSessions;
  logger: Logger;
  audit: AuditLog;
  /** Told when a support token is used after its access ended (the second layer found it). */
  onSupportDenied?: (tenant: string, sessionUid: string) => void;
}

interface RequestSupport {
  session: SupportSession | null;
  username: string;
}

// Per request: the support session behind the tokens being issued (found by findAccount or
// written by loadExistingGrant), read by the synchronous ttl functions and extraTokenClaims.
const perRequest = new WeakMap<object, RequestSupport>();

const DEFAULT_TTL = { AccessToken: 3600, IdToken: 3600, RefreshToken: 14 * 86_400, Grant: 14 * 86_400, Session: 14 * 86_400, AuthorizationCode: 60 };

/** A lifetime capped at the end of the access that allowed a support session (positive, whole seconds). */
function capped(ctx: KoaContextWithOIDC | undefined, seconds: number): number {
  const until = ctx ? perRequest.get(ctx)?.session?.until : undefined;
  if (until === undefined || until === null) return seconds;
  return Math.max(1, Math.floor(Math.min(seconds, (until - Date.now()) / 1000)));
}

function auditWho(s: RequestSupport): string {
  return s.session ? `${s.session.actor.username}$${s.session.target.username}` : s.username;
}

/**
 * One OpenID Provider for one tenant at {PUBLIC_URL}/t/{tenant}: authorization code + PKCE,
 * refresh tokens, userinfo, introspection, revocation, RP-initiated logout; tokens of support
 * sessions carry `act` and end with the access that allowed them.
 */
export function createTenantProvider(tenant: string, deps: ProviderDeps): Provider {
  const { config, domain, keys, sessions, audit } = deps;
  const issuer = `${config.publicUrl}/t/${tenant}`;
  const prefix = config.redis.prefix;


  const configuration: Configuration = {
    adapter: adapterFor({ redis: deps.redis, prefix, tenant, domain, sessions, onSupportDenied: (uid) => uid && deps.onSupportDenied?.(tenant, uid) }),
    jwks: keys.jwks as Configuration['jwks'],
    cookies: {
      keys: keys.cookieSecrets,
      // Tenants share a host: each gets its own cookie names so sessions never collide.
      names: { session: `sg_${tenant}_session`, interaction: `sg_${tenant}_interaction`, resume: `sg_${tenant}_resume` },
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    claims: {
      amr: null,
      openid: ['sub', 'tenant', 'act', 'amr'],
      profile: ['preferred_username', 'name'],
    },
    // The ID token carries the scope's claims (tenant, act, preferred_username) itself.
    conformIdTokenClaims: false,
    scopes: ['openid', 'offline_access', 'profile'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      // Any client of this tenant (its apps and resource servers) may introspect the tenant's
      // tokens; other tenants' issuers cannot even find them (separate key space).
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      resourceIndicators: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = logoutPage(tenant, form);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = errorPage('Signed out', `You are signed out of ${tenant}.`);
        },
      },
    },
    extraClientMetadata: { properties: ['sg_first_party'] },
    clientDefaults: { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' },
    interactions: { url: async (_ctx, interaction) => `/t/${tenant}/interaction/${interaction.uid}` },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: (ctx) => capped(ctx, DEFAULT_TTL.AccessToken),
      IdToken: (ctx) => capped(ctx, DEFAULT_TTL.IdToken),
      RefreshToken: (ctx) => capped(ctx, DEFAULT_TTL.RefreshToken),
      AuthorizationCode: (ctx) => capped(ctx, DEFAULT_TTL.AuthorizationCode),
      Grant: (ctx) => capped(ctx, DEFAULT_TTL.Grant),
      Session: (ctx) => capped(ctx, DEFAULT_TTL.Session),
      Interaction: () => 3600,
    },

    async findAccount(ctx, sub, token): Promise<Account | undefined> {
      const user = await domain.users.get(tenant, sub);
      if (!user || !user.enabled) return undefined;
      const sessionUid = (token as { sessionUid?: string } | undefined)?.sessionUid ?? ctx.oidc.session?.uid;
      const session = sessionUid ? await sessions.get(tenant, sessionUid) : null;
      if (session) {
        const decision = await supportStillAllowed(domain, tenant, session.actor.id, session.target.id);
        if (!decision.ok) return undefined;
        session.until = decision.until;
      }
      const support: RequestSupport = { session, username: user.username };
      perRequest.set(ctx, support);
      if (ctx.oidc.route === 'userinfo') {
        await audit.record({
          tenant,
          who: auditWho(support),
          actor: session ? { type: 'user', id: session.actor.id, name: session.actor.username, tenant: MANAGEMENT_TENANT } : { type: 'user', id: user.id, name: user.username, tenant },
          subject: { type: 'user', id: user.id, name: user.username, tenant },
          action: 'userinfo.read',
          outcome: 'success',
          channel: 'api',
          clientId: ctx.oidc.client?.clientId ?? null,
          clientAddress: ctx.ip,
          userAgent: ctx.get('user-agent')?.slice(0, 500) || null,
        });
      }
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            tenant,
            preferred_username: user.username,
            name: user.username,
            ...(session ? { act: { sub: session.actor.id, preferred_username: session.actor.username, tenant: MANAGEMENT_TENANT } } : {}),
          };
        },
      };
    },

    async extraTokenClaims(ctx, token) {
      const accountId = (token as { accountId?: string }).accountId ?? null;
      // findAccount ran first on every grant this issuer offers; if it somehow did not, the
      // token is still recorded (by account id) rather than issued unaudited.
      const support = perRequest.get(ctx) ?? { session: null, username: accountId ?? 'unknown' };
      const s = support.session;
      // Fail closed: a token whose issue cannot be recorded is not issued.
      if (ctx.oidc.route === 'token') {
        const refresh = ctx.oidc.params?.grant_type === 'refresh_token';
        await audit.record({
          tenant,
          who: auditWho(support),
          actor: s ? { type: 'user', id: s.actor.id, name: s.actor.username, tenant: MANAGEMENT_TENANT } : { type: 'user', id: accountId, name: support.username, tenant },
          subject: { type: 'user', id: accountId, name: support.username, tenant },
          action: refresh ? 'token.refreshed' : 'token.issued',
          outcome: 'success',
          channel: 'api',
          clientId: ctx.oidc.client?.clientId ?? null,
          clientAddress: ctx.ip,
          userAgent: ctx.get('user-agent')?.slice(0, 500) || null,
          details: { scope: String(token.scope ?? '').slice(0, 300), ...(s ? { supportUntil: s.until === null ? null : new Date(s.until).toISOString() } : {}) },
        });
      }
      return s ? { tenant, act: { sub: s.actor.id, preferred_username: s.actor.username, tenant: MANAGEMENT_TENANT } } : { tenant };
    },

    async loadExistingGrant(ctx) {
      const result = ctx.oidc.result as { login?: unknown; support?: SupportLoginResult } | undefined;
      const uid = ctx.oidc.session!.uid;
      if (result?.login) {
        // A fresh login decides what this session is: a support session, or an ordinary one.
        if (result.support) {
          const s: SupportSession = { tenant, sessionUid: uid, actor: result.support.actor, target: result.support.target, until: result.support.until, startedAt: Date.now() };
          await sessions.save(s, Date.now());
          perRequest.set(ctx, { session: s, username: s.target.username });
        } else {
          const previous = await sessions.get(tenant, uid);
          if (previous) await sessions.remove(tenant, uid, previous.actor.id);
        }
      } else if (!perRequest.has(ctx)) {
        perRequest.set(ctx, { session: await sessions.get(tenant, uid), username: '' });
      }
      const client = ctx.oidc.client!;
      const grantId = (ctx.oidc.result as { consent?: { grantId?: string } } | undefined)?.consent?.grantId || ctx.oidc.session!.grantIdFor(client.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      // First-party apps of the platform are not asked for consent.
      if ((client as unknown as { sg_first_party?: boolean }).sg_first_party) {
        const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: ctx.oidc.session!.accountId! });
        grant.addOIDCScope(ctx.oidc.requestParamScopes);
        await grant.save();
        return grant;
      }
      return undefined;
    },

    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = errorPage('Sign-in error', String(out.error_description ?? out.error ?? 'error'));
    },
  };

  const provider = new Provider(issuer, configuration);
  provider.proxy = config.trustProxy !== false;

  // Logout and revocation are recorded from the provider's events: they happen inside its
  // endpoints, after the fact, so a failed entry is logged as an error rather than refused.
  const recordAfter = async (ctx: KoaContextWithOIDC, action: 'logout' | 'token.revoked', accountId: string | undefined, sessionUid: string | undefined) => {
    const s = sessionUid ? await sessions.get(tenant, sessionUid) : null;
    const user = accountId ? await domain.users.get(tenant, accountId) : null;
    await audit.record({
      tenant,
      who: s ? `${s.actor.username}$${s.target.username}` : (user?.username ?? 'unknown'),
      actor: s ? { type: 'user', id: s.actor.id, name: s.actor.username, tenant: MANAGEMENT_TENANT } : user ? { type: 'user', id: user.id, name: user.username, tenant } : null,
      subject: user ? { type: 'user', id: user.id, name: user.username, tenant } : null,
      action,
      outcome: 'success',
      channel: 'api',
      clientId: ctx.oidc?.client?.clientId ?? null,
      clientAddress: ctx.ip,
      userAgent: ctx.get('user-agent')?.slice(0, 500) || null,
    });
  };
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    recordAfter(ctx, 'logout', ctx.oidc.session?.accountId, ctx.oidc.session?.uid).catch((err: unknown) => deps.logger.error(`logout could not be audited: ${(err as Error).message}`));
  });
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC) => {
    const token = ctx.oidc.entities.AccessToken ?? ctx.oidc.entities.RefreshToken;
    recordAfter(ctx, 'token.revoked', token?.accountId, token?.sessionUid).catch((err: unknown) => deps.logger.error(`revocation could not be audited: ${(err as Error).message}`));
  });
  return provider;
}
