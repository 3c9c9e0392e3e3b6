import Provider, { type Configuration, type KoaContextWithOIDC, type Account } from 'oidc-provider';
import type { AuditLog } from '../audit/audit-log.js';
import { API_SCOPE_VALUES, clientAuditIdentity } from '../clients/clients.js';
import type { RedisClient } from '../redis/client.js';
import type { Logger } from '../logger.js';
import type { KeyMaterial } from '../secrets/keys.js';
import { LONGEST_SIGNED_TOKEN_SECONDS } from '../secrets/signing-keys.js';
import { ACR_PASSWORD } from './acr.js';
import { adapterFor, type AdapterDeps } from './adapter.js';
import { queueProviderLogouts, type LogoutNotices } from './backchannel-sessions.js';
import { registeredAuthMethodOnly } from './registered-auth-method.js';
import { oidcErrors } from './errors.js';
import { oidcRequest, type IssuingFor } from './request-context.js';
import type { SupportLoginResult } from '../support-access/login.js';
import { mayStay } from '../support-access/may-enter.js';
import type { SupportDeps } from '../support-access/support.js';
import { actClaim, auditIdentity, type SupportSession, type SupportSessionStore } from '../support-access/sessions.js';
import { errorPage, logoutPage } from '../views/messages.js';

/** What one tenant's issuer needs, and nothing more. */
export interface ProviderDeps {
  /** PUBLIC_URL: the issuer is `{publicUrl}/t/{tenant}`. */
  publicUrl: string;
  redis: RedisClient;
  /** REDIS_PREFIX: the issuer's records live under it, in the tenant's slot. */
  prefix: string;
  /** The facts support access is decided on (users, tenants, settings, windows) and the clock. */
  access: SupportDeps;
  /** The tenant's registered clients, and the box their secrets are sealed in. */
  clients: AdapterDeps['clients'];
  secretBox: AdapterDeps['secretBox'];
  audit: Pick<AuditLog, 'record'>;
  keys: Pick<KeyMaterial, 'jwks' | 'cookieSecrets'>;
  sessions: SupportSessionStore;
  logger: Logger;
  /** Told when a support token is used after its access ended (the second layer found it). */
  onSupportDenied?: (tenant: string, sessionUid: string) => void;
  /** Back-channel logout: where RP-initiated logouts queue their Logout Tokens (absent: none are sent). */
  logouts?: LogoutNotices;
}

const DEFAULT_TTL = { AccessToken: 3600, IdToken: LONGEST_SIGNED_TOKEN_SECONDS, RefreshToken: 14 * 86_400, Grant: 14 * 86_400, Session: 14 * 86_400, AuthorizationCode: 60 };

/** `seconds`, no later than `until` (epoch ms; null: no limit): a positive whole number, as oidc-provider requires. */
function cappedAt(until: number | null | undefined, seconds: number, now: number): number {
  if (until === undefined || until === null) return seconds;
  return Math.max(1, Math.floor(Math.min(seconds, (until - now) / 1000)));
}

/**
 * One OpenID Provider for one tenant at {PUBLIC_URL}/t/{tenant}: authorization code + PKCE,
 * refresh tokens, userinfo, introspection, revocation, RP-initiated logout; tokens of support
 * sessions carry `act` and end with the access that allowed them.
 */
export function createTenantProvider(tenant: string, deps: ProviderDeps): Provider {
  const { access, keys, sessions, audit, prefix } = deps;
  const issuer = `${deps.publicUrl}/t/${tenant}`;
  const clock = access.clock;
  /** A token lifetime, capped at the end of the access of the support session it is issued to. */
  const capped = (seconds: number) => cappedAt(oidcRequest()?.issuing?.session?.until, seconds, clock.now());
  /**
   * A session's lifetime. A support session checked in this request lives until its access ends;
   * one not checked (e.g. the logout page) keeps the lifetime it had: only a check may extend it.
   */
  const sessionTtl = (session: { uid?: string; exp?: number }) => {
    const state = oidcRequest();
    const now = clock.now();
    const issuing = state?.issuing;
    if (issuing?.checked && (issuing.session === null || issuing.session.sessionUid === session.uid)) return cappedAt(issuing.session?.until, DEFAULT_TTL.Session, now);
    const stamp = session.uid ? state?.sessions.get(session.uid) : undefined;
    if (!stamp) return DEFAULT_TTL.Session;
    if (typeof session.exp === 'number') return Math.max(1, Math.min(DEFAULT_TTL.Session, session.exp - Math.floor(now / 1000)));
    return cappedAt(stamp.until, DEFAULT_TTL.Session, now);
  };


  const configuration: Configuration = {
    adapter: adapterFor({ redis: deps.redis, prefix, tenant, access, clients: deps.clients, secretBox: deps.secretBox, sessions, logger: deps.logger, onSupportDenied: (uid) => uid && deps.onSupportDenied?.(tenant, uid) }),
    jwks: keys.jwks as Configuration['jwks'],
    cookies: {
      keys: keys.cookieSecrets,
      // Tenants share a host: each gets its own cookie names so sessions never collide.
      names: { session: `sg_${tenant}_session`, interaction: `sg_${tenant}_interaction`, resume: `sg_${tenant}_resume` },
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    claims: {
      acr: null,
      amr: null,
      openid: ['sub', 'tenant', 'act', 'amr', 'acr'],
      profile: ['preferred_username', 'name'],
    },
    // The ID token carries the scope's claims (tenant, act, preferred_username) itself.
    conformIdTokenClaims: false,
    // The JSON API's scopes (src/clients/clients.ts API_SCOPE_VALUES): on a user's token they limit what
    // the holder may do through /api/v1; a client with apiScopes may ask for them with client credentials.
    scopes: ['openid', 'offline_access', 'profile', ...API_SCOPE_VALUES],
    pkce: { required: () => true },
    // Core 3.1.2.1 / RFC 6749 4.1.3: redirect_uri is required at the authorization and token
    // endpoints even when a client registered only one (oidc-provider would fill it in).
    allowOmittingSingleRegisteredRedirectUri: false,
    features: {
      devInteractions: { enabled: false },
      // OIDC Core 5.5: the claims request parameter, through which an app can make an acr essential.
      claimsParameter: { enabled: true },
      // A token's introspection is answered only to the client it was issued to, or to a resource
      // server of this tenant, each authenticated with its secret; anyone else learns only
      // `active: false`. Other tenants' issuers cannot even find the token (separate key space).
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) =>
          client.clientAuthMethod !== 'none' && (token.clientId === client.clientId || (client as unknown as { sg_resource_server?: boolean }).sg_resource_server === true),
      },
      revocation: { enabled: true },
      // Machine-to-machine tokens for the JSON API, only for clients registered with apiScopes
      // (grantTypesOf); introspected by the same client or a resource server (allowedPolicy above).
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      // Back-channel logout metadata, discovery and sid; its delivery is replaced (backchannel-sessions.ts).
      backchannelLogout: { enabled: true },
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
    extraClientMetadata: { properties: ['sg_first_party', 'sg_resource_server'] },
    // What a sign-in here proves: a password (amr "pwd"). Support and ordinary logins are the same
    // level; `act` tells them apart. A request that makes a higher acr essential is refused
    // (unmet_authentication_requirements, see the login page) rather than served at this one.
    acrValues: [ACR_PASSWORD],
    clientDefaults: { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' },
    interactions: { url: async (_ctx, interaction) => `/t/${tenant}/interaction/${interaction.uid}` },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: () => capped(DEFAULT_TTL.AccessToken),
      IdToken: () => capped(DEFAULT_TTL.IdToken),
      RefreshToken: () => capped(DEFAULT_TTL.RefreshToken),
      AuthorizationCode: () => capped(DEFAULT_TTL.AuthorizationCode),
      Grant: () => capped(DEFAULT_TTL.Grant),
      Session: (_ctx, session) => sessionTtl(session),
      Interaction: () => 3600,
      // Short: a machine asks again rather than holding a long-lived admin credential.
      ClientCredentials: 600,
    },

    async findAccount(ctx, sub, token): Promise<Account | undefined> {
      const user = await access.users.get(tenant, sub);
      // The browser's session names an account that may not be used now (disabled, or a support
      // session whose access ended before anything revoked the session): the session forgets it,
      // so the authorization asks for a sign-in instead of failing (oidc-provider decides "login
      // needed" by the session's accountId alone).
      const unusable = () => {
        // (oidc-provider's session refuses an empty accountId; deleting it is how it forgets one.)
        if (!token && ctx.oidc.session?.accountId === sub) delete (ctx.oidc.session as { accountId?: string }).accountId;
        return undefined;
      };
      if (!user || !user.enabled) return unusable();
      const state = oidcRequest();
      // Which support session (if any) this account is used through: the stamp of the code or
      // token presented, else of the browser's session. The stamp lives on the record itself, so a
      // session that began as support can never read as an ordinary one.
      const tokenId = (token as { jti?: string } | undefined)?.jti;
      const sessionUid = token ? (token as { sessionUid?: string }).sessionUid : ctx.oidc.session?.uid;
      const fresh = token ? undefined : (ctx.oidc.result as { login?: unknown; support?: SupportLoginResult } | undefined);
      let session: SupportSession | null;
      if (fresh?.login && sessionUid) {
        // A login that just happened decides what the session is. It began when the password
        // verified, and is checked again now: the browser may come back here much later (held
        // back, or after a consent page), after the access ended or the password changed.
        const s = fresh.support;
        if (state) state.before = state.sessions.get(sessionUid) ?? null;
        session = s ? { tenant, sessionUid, actor: s.actor, target: s.target, until: s.until, startedAt: s.startedAt } : null;
        if (session) {
          const decision = session.target.id === sub ? await mayStay(access, session) : null;
          if (!decision?.ok) return unusable();
          session = { ...session, until: decision.until };
        }
        state?.sessions.set(sessionUid, session);
      } else {
        const known = token ? (tokenId ? state?.tokens.get(tokenId) : undefined) : sessionUid ? state?.sessions.get(sessionUid) : undefined;
        session = known !== undefined ? known : sessionUid ? await sessions.get(tenant, sessionUid) : null;
        if (session) {
          const decision = session.target.id === sub ? await mayStay(access, session) : null;
          if (!decision?.ok) {
            deps.onSupportDenied?.(tenant, session.sessionUid);
            return unusable();
          }
          session = { ...session, until: decision.until };
        }
      }
      const support: IssuingFor = { session, username: user.username, checked: true };
      if (state) state.issuing = support;
      if (ctx.oidc.route === 'userinfo') {
        await audit.record({
          tenant,
          ...auditIdentity(user, session),
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
            ...(session ? { act: actClaim(session) } : {}),
          };
        },
      };
    },

    async extraTokenClaims(ctx, token) {
      // Client credentials: the client acts for itself (no account, findAccount does not run).
      if (token.kind === 'ClientCredentials') {
        const client = clientAuditIdentity(tenant, token.clientId ?? ctx.oidc.client!.clientId);
        await audit.record({
          tenant,
          ...client,
          subject: client.actor,
          action: 'token.issued',
          outcome: 'success',
          channel: 'api',
          clientId: client.actor.id,
          clientAddress: ctx.ip,
          userAgent: ctx.get('user-agent')?.slice(0, 500) || null,
          details: { scope: String(token.scope ?? '').slice(0, 300), grant: 'client_credentials' },
        });
        return { tenant };
      }
      const accountId = (token as { accountId?: string }).accountId ?? null;
      // findAccount ran first on every grant this issuer offers; if it somehow did not, the
      // token is still recorded (by account id) rather than issued unaudited.
      const support = oidcRequest()?.issuing ?? { session: null, username: accountId ?? 'unknown', checked: false };
      const s = support.session;
      // Fail closed: a token whose issue cannot be recorded is not issued.
      if (ctx.oidc.route === 'token') {
        const refresh = ctx.oidc.params?.grant_type === 'refresh_token';
        await audit.record({
          tenant,
          ...auditIdentity({ id: accountId, username: support.username, tenant }, s),
          action: refresh ? 'token.refreshed' : 'token.issued',
          outcome: 'success',
          channel: 'api',
          clientId: ctx.oidc.client?.clientId ?? null,
          clientAddress: ctx.ip,
          userAgent: ctx.get('user-agent')?.slice(0, 500) || null,
          details: { scope: String(token.scope ?? '').slice(0, 300), ...(s ? { supportUntil: s.until === null ? null : new Date(s.until).toISOString() } : {}) },
        });
      }
      // Introspection answers these too (SPEC §4: who the token is for by name, and for support who acts).
      return { tenant, preferred_username: support.username, ...(s ? { act: actClaim(s) } : {}) };
    },

    async loadExistingGrant(ctx) {
      const result = ctx.oidc.result as { login?: unknown; support?: SupportLoginResult } | undefined;
      const uid = ctx.oidc.session!.uid;
      // A fresh login that changes who the session is (john ↔ jill$john, or another support user)
      // starts from a grant of its own: it inherits no consent, and ending one identity's tokens
      // never ends the other's.
      let identityChanged = false;
      if (result?.login) {
        // Persist what the fresh login decided (findAccount, just before): the support mark, or
        // no mark when the user signed in with their own password.
        const state = oidcRequest();
        const decided = state?.issuing?.session;
        const previous = state?.before ?? (await sessions.get(tenant, uid));
        identityChanged = (previous?.actor.id ?? null) !== (decided?.actor.id ?? null);
        if (decided && decided.sessionUid === uid) {
          await sessions.save(decided);
        } else if (previous) {
          await sessions.remove(tenant, uid, previous.actor.id);
        }
      }
      const client = ctx.oidc.client!;
      const consented = (ctx.oidc.result as { consent?: { grantId?: string } } | undefined)?.consent?.grantId;
      const grantId = consented || (identityChanged ? undefined : ctx.oidc.session!.grantIdFor(client.clientId));
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        // A grant of another account (the browser's earlier user) is never reused for this one.
        if (existing && existing.accountId === ctx.oidc.session!.accountId) return existing;
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

  // Our hooks' failures reach the wire as standard OAuth errors (see errors.ts).
  const { findAccount, extraTokenClaims, loadExistingGrant } = configuration;
  configuration.findAccount = oidcErrors(async (ctx, sub, token) => findAccount!(ctx, sub, token), deps.logger);
  configuration.extraTokenClaims = oidcErrors(async (ctx, token) => extraTokenClaims!(ctx, token), deps.logger);
  configuration.loadExistingGrant = oidcErrors(async (ctx) => loadExistingGrant!(ctx), deps.logger);

  const provider = new Provider(issuer, configuration);
  if (deps.logouts) queueProviderLogouts(provider, tenant, deps.logouts);
  // The forwarded headers it reads are set by the gateway itself (routes.ts pinForwardedHeaders).
  provider.proxy = true;
  provider.use(registeredAuthMethodOnly(deps.clients, tenant));

  // Logout and revocation are recorded from the provider's events: they happen inside its
  // endpoints, after the fact, so a failed entry is logged as an error rather than refused. Who
  // it was is taken while the event is emitted, from the records the request read.
  const recordAfter = async (ctx: KoaContextWithOIDC, action: 'logout' | 'token.revoked', accountId: string | undefined, s: SupportSession | null) => {
    const user = accountId ? await access.users.get(tenant, accountId) : null;
    const name = user?.username ?? s?.target.username ?? null;
    await audit.record({
      tenant,
      ...(accountId ? auditIdentity({ id: accountId, username: name, tenant }, s) : { who: 'unknown', actor: null, subject: null }),
      action,
      outcome: 'success',
      channel: 'api',
      clientId: ctx.oidc?.client?.clientId ?? null,
      clientAddress: ctx.ip,
      userAgent: ctx.get('user-agent')?.slice(0, 500) || null,
    });
  };
  const sessionOf = (ctx: KoaContextWithOIDC) => {
    const session = ctx.oidc.session;
    const stamp = session?.uid ? (oidcRequest()?.sessions.get(session.uid) ?? null) : null;
    return { accountId: session?.accountId, uid: session?.uid, stamp, destroyed: Boolean((session as { destroyed?: boolean } | undefined)?.destroyed) };
  };
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    const { accountId, uid, stamp, destroyed } = sessionOf(ctx);
    recordAfter(ctx, 'logout', accountId, stamp)
      // A support session signed out of is over: its mark goes with it.
      .then(() => (destroyed && uid && stamp ? sessions.remove(tenant, uid, stamp.actor.id) : undefined))
      .catch((err: unknown) => deps.logger.error(`logout could not be audited: ${(err as Error).message}`));
  });
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC) => {
    const token = ctx.oidc.entities.AccessToken ?? ctx.oidc.entities.RefreshToken;
    // At the revocation endpoint the revoked token says who; at logout, the session signed out of.
    const who = token ? { accountId: token.accountId, stamp: oidcRequest()?.tokens.get(token.jti) ?? null } : sessionOf(ctx);
    recordAfter(ctx, 'token.revoked', who.accountId, who.stamp).catch((err: unknown) => deps.logger.error(`revocation could not be audited: ${(err as Error).message}`));
  });
  return provider;
}
