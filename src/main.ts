import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from 'express';
import { systemClock, type Clock } from './clock.js';
import { describeRedis, type Config } from './config.js';
import { createDomain, type Domain } from './domain.js';
import { createApp } from './http/app.js';
import { retryAfterWhenUnavailable } from './http/errors.js';
import { interactionRoutes } from './http/interactions.js';
import { issuerRoutes } from './http/issuers.js';
import { forwardAuthRoutes, forwardAuthVerify } from './http/forward-auth.js';
import { CachedClientStore } from './clients/client-cache.js';
import { UpstreamTokens } from './http/forward-auth-token.js';
import { VerifiedTokens } from './http/api/verified-tokens.js';
import { apiRoutes } from './http/api/index.js';
import { consoleRoutes } from './http/console/index.js';
import { FORWARD_AUTH_CLIENT_ID, forwardAuthPaths, withConsoleClient } from './http/console/console-client.js';
import { ForwardAuthSessions } from './http/forward-auth-sessions.js';
import { ConsoleSessions } from './http/console/sessions.js';
import { ConsoleSignIn } from './http/console/sign-in.js';
import { createLogger, type Logger } from './logger.js';
import { closeRedis, createRedis, type RedisClient } from './redis/client.js';
import { resolveInterrupted } from './audit/interrupted.js';
import { applyRetention } from './audit/retention.js';
import { AuditDigester, DigestKeyring, DigestSigner } from './audit/digests.js';
import { RedisDigestStore } from './audit/redis-digest-store.js';
import { ExpiryWatcher } from './support-access/expiry-watcher.js';
import { answerStoreOutages } from './oidc/outage-answer.js';
import { ProviderPool } from './oidc/pool.js';
import { createTenantProvider } from './oidc/provider.js';
import { LoginLimits } from './support-access/login-limits.js';
import { OidcSessionRevoker } from './oidc/revoker.js';
import { LogoutDelivery, type LogoutDeliveryOptions } from './oidc/backchannel-logout.js';
import { RedisLogoutQueue } from './oidc/backchannel-queue.js';
import { LogoutNotices } from './oidc/backchannel-sessions.js';
import { RedisSupportSessionStore } from './support-access/redis-support-session-store.js';
import { SupportSessionEnder } from './support-access/session-ender.js';
import { SigningKeys } from './secrets/signing-keys.js';
import { loadAuditDigestKey, loadAuditDigestPublicKeys, loadKeyMaterial, publicKeyText } from './secrets/keys.js';
import { CachedTenantStore } from './tenants/tenant-cache.js';
import { reportMetricsToPrimary } from './metrics/cluster.js';
import { listenMetrics, type MetricsListener } from './metrics/listener.js';
import { GatewayMetrics } from './metrics/metrics.js';
import { countOpenWindows } from './metrics/open-windows.js';
import { observeProvider } from './metrics/provider.js';
import { observeRedis } from './metrics/redis.js';
import { ensureManagementTenant, requireTenant } from './tenants/tenants.js';

export interface Gateway {
  url: string;
  port: number;
  domain: Domain;
  redis: RedisClient;
  logger: Logger;
  /** Stops accepting, lets in-flight requests finish (up to shutdownTimeoutMs), closes Redis. */
  stop(): Promise<void>;
  /** Forward-auth's verdict cache (its hit count shows the tests which path a decision took). */
  forwardAuthVerdicts: VerifiedTokens;
  /** This process's metrics (METRICS_PORT set), and the port serving them (null: the primary serves them, or off). */
  metrics: GatewayMetrics | null;
  metricsPort: number | null;
}

export interface GatewayOptions {
  logger?: Logger;
  clock?: Clock;
  /** Routers mounted before the 404 handler (the OIDC issuers and console arrive this way). */
  routers?: Router[];
  /** In a worker of `serve --workers N`: whether every worker is listening (/readyz waits for it). */
  allWorkersUp?: () => boolean;
  /**
   * Who serves this process's metrics when METRICS_PORT is set: its own listener (default), or,
   * in a worker of `serve --workers N`, the primary, which serves all workers' together.
   */
  metricsServedBy?: 'listener' | 'primary';
  /** Back-channel logout delivery timing (tests shorten the retry delays); absent: the defaults. */
  backchannelLogout?: Partial<LogoutDeliveryOptions>;
}

/** Wiring by hand: config → keys → redis → stores → http → listen. */
export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config);
  const keys = await loadKeyMaterial(config);
  if (keys.source === 'generated') {
    logger.warn(`generated development signing keys and secrets under ${config.dataDir} (mode 0600); configure SIGNING_KEYS_FILE, COOKIE_SECRETS and CLIENT_SECRETS_KEY in production`);
  } else if (keys.source === 'loaded') {
    logger.info(`using development signing keys and secrets from ${config.dataDir}`);
  }

  const digestKey = loadAuditDigestKey(config);

  let bootstrapped = false;
  let unsubscribe: (() => Promise<void>) | undefined;
  let shuttingDown = false;
  const redis = createRedis(config, {
    mode: 'server',
    onStateChange: (state, reason) => {
      if (state === 'ready') logger.info(`${describeRedis(config)} is ready`);
      else if (!shuttingDown) logger.error(`${describeRedis(config)} is unavailable: ${reason ?? 'unknown'}; retrying`);
    },
  });
  // Metrics only when asked for (METRICS_PORT): otherwise nothing is measured at all.
  const metrics = config.metrics.port !== 0
    ? new GatewayMetrics({ openWindows: () => countOpenWindows({ tenants: stores.tenants, windows: stores.windows, clock: stores.clock }), redisReady: () => redis.status === 'ready' })
    : null;
  if (metrics) observeRedis(redis, metrics);
  // A worker answers the primary's scrapes from the start: one still starting must not hold a scrape up.
  if (metrics && options.metricsServedBy === 'primary') reportMetricsToPrimary(metrics);
  const stores = createDomain(config, redis, keys.clientSecretsKey, options.clock ?? systemClock, logger, metrics ?? undefined);
  // Requests read tenant records through the process's cache (stale-while-error, see tenant-cache);
  // the session ender decides on the registry as it is now.
  const tenantCache = new CachedTenantStore(stores.tenants, stores.clock);
  // Every tenant has the console as a client without registering it (see console-client).
  const clientCache = new CachedClientStore(stores.clients, stores.clock);
  const domain: Domain = { ...stores, tenants: tenantCache, clients: withConsoleClient(clientCache, config.publicUrl) };
  const sessions = new RedisSupportSessionStore(redis, config.redis.prefix);
  // Back-channel logout: every ending session queues its apps' Logout Tokens in Redis; `delivery` (below) sends them.
  const logoutQueue = new RedisLogoutQueue(redis, config.redis.prefix);
  let delivery: LogoutDelivery | undefined;
  const logouts = new LogoutNotices({ queue: logoutQueue, clients: domain.clients, users: domain.users, clock: domain.clock, redis, prefix: config.redis.prefix, logger, queued: () => delivery?.poke() });
  const revoker = new OidcSessionRevoker(redis, config.redis.prefix, (tenant, ending) => Promise.all(ending.map((s) => logouts.partiesEnding(tenant, s, 'tenant.suspended'))));
  const ender = new SupportSessionEnder({ access: stores, tenants: stores.tenants, sessions, revoker, audit: domain.audit, logger, observer: metrics ?? undefined, logouts });
  const endLater = (what: Promise<unknown>) => what.catch((err: unknown) => logger.error(`ending support sessions failed: ${(err as Error).message}`));
  const signingKeys = new SigningKeys({ redis, prefix: config.redis.prefix, box: domain.secretBox, clock: domain.clock, fileKeys: keys.jwks.keys, replicaAcks: { replicas: config.redis.replicaAcks, timeoutMs: config.redis.replicaAckTimeoutMs } });
  delivery = new LogoutDelivery(
    { queue: logoutQueue, clients: domain.clients, tenants: stores.tenants, signer: (t, alg) => signingKeys.signer(t, alg), audit: domain.audit, clock: domain.clock, publicUrl: config.publicUrl, logger, metrics: metrics ?? undefined },
    options.backchannelLogout,
  );
  const pool = new ProviderPool(
    tenantCache,
    (tenant, issuerKeys) =>
      answerStoreOutages(observeProvider(
        createTenantProvider(tenant, {
          publicUrl: config.publicUrl, redis, prefix: config.redis.prefix, access: domain, clients: domain.clients, secretBox: domain.secretBox,
          audit: domain.audit, keys: { jwks: issuerKeys.jwks, cookieSecrets: keys.cookieSecrets }, sessions, logger,
          onSupportDenied: (t, uid) => void endLater(ender.recheck(t, uid, 'token used after access ended')),
          logouts,
        }),
        metrics ?? undefined,
      )),
    (tenant) => signingKeys.issuerKeys(tenant),
  );

  // First start creates the management tenant; it runs again on every reconnect until it succeeded.
  const bootstrap = async () => {
    if (bootstrapped) return;
    try {
      await ensureManagementTenant(domain.tenants, domain.clock);
      // Once subscribed, ioredis subscribes again by itself after every reconnect.
      unsubscribe ??= await domain.events.subscribe((event, publishedAt) => {
        logger.info(`event ${event.type}`, { event });
        if (metrics && publishedAt !== null) metrics.eventReceived(event.type, (domain.clock.now() - publishedAt) / 1000);
        tenantCache.onEvent(event);
        clientCache.onEvent(event);
        if (event.type === 'keys.rotated') signingKeys.forget(event.tenant);
        void endLater(ender.onEvent(event, publishedAt));
      });
      // A start that failed meanwhile (its port taken) lets go of the subscription too.
      if (shuttingDown) await unsubscribe();
      bootstrapped = true;
    } catch (err) {
      logger.error(`bootstrap failed: ${(err as Error).message}`);
    }
  };
  redis.on('ready', () => void bootstrap());
  redis.connect().catch(() => {
    /* reported through onStateChange; the client keeps retrying */
  });

  /** What `audit verify` checks each chain against (console and API alike): the signed digests. */
  const digestSource = { store: new RedisDigestStore(redis, config.redis.prefix), keyring: new DigestKeyring(loadAuditDigestPublicKeys(config)) };
  /** Where this process answers itself (the console reaches its own issuer there). */
  let listeningPort = config.port;
  const forwardAuth = {
    pool, domain, logger,
    tenantHeader: config.forwardAuth.tenantHeader,
    verdicts: new VerifiedTokens(redis, config.redis.prefix, domain),
    metrics: metrics ?? undefined,
    upstreamTokens: config.forwardAuth.tokenSeconds > 0 ? new UpstreamTokens(async (tenant) => signingKeys.signer(await requireTenant(tenantCache, tenant)), config.publicUrl, config.forwardAuth.tokenSeconds, domain.clock) : null,
    browser: {
      publicUrl: config.publicUrl,
      sessions: new ForwardAuthSessions(redis, config.redis.prefix, domain.clock),
      signIn: new ConsoleSignIn({ publicUrl: config.publicUrl, internalOrigin: () => `http://127.0.0.1:${listeningPort}`, client: { id: FORWARD_AUTH_CLIENT_ID, callback: () => forwardAuthPaths(config.publicUrl).callback } }),
    },
  };
  const app = createApp({
    config,
    redis,
    logger,
    isBootstrapped: () => bootstrapped && (options.allWorkersUp?.() ?? true),
    isShuttingDown: () => shuttingDown,
    hotRouters: [forwardAuthVerify(forwardAuth)],
    routers: [
      retryAfterWhenUnavailable(),
      forwardAuthRoutes(forwardAuth),
      issuerRoutes({
        pool,
        domain,
        publicUrl: config.publicUrl,
        interactions: interactionRoutes({ domain, cookieSecret: keys.cookieSecrets, sessions, limits: new LoginLimits(redis, config), metrics: metrics ?? undefined }),
        console: consoleRoutes({
          domain,
          publicUrl: config.publicUrl,
          logger,
          digests: digestSource,
          sessions: new ConsoleSessions(redis, config.redis.prefix, domain.clock, config.publicUrl.startsWith('https:')),
          signIn: new ConsoleSignIn({ publicUrl: config.publicUrl, internalOrigin: () => `http://127.0.0.1:${listeningPort}` }),
        }),
      }),
      ...(options.routers ?? []),
    ],
    apiRouters: [
      apiRoutes({
        pool, domain, publicUrl: config.publicUrl, logger,
        digests: digestSource,
      }),
    ],
  });
  const server: Server = createServer(app);
  let metricsListener: MetricsListener | null = null;
  try {
    if (metrics && options.metricsServedBy !== 'primary') metricsListener = await listenMetrics(config.metrics, () => metrics.exposition(), logger);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    // Nothing listens (the port is taken): let go of Redis too, so the process can end.
    shuttingDown = true;
    await metricsListener?.close();
    await unsubscribe?.().catch(() => undefined);
    await closeRedis(redis).catch(() => undefined);
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  listeningPort = port;

  // Retention runs hourly in every process; trimming is idempotent, so running twice is harmless.
  const trim = async () => {
    try {
      const removed = await applyRetention(domain.auditStore, domain.tenants, domain.clock, config.audit.retentionDays);
      for (const [tenant, n] of Object.entries(removed)) logger.info(`audit retention: trimmed ${n} entries of ${tenant} older than ${config.audit.retentionDays} days`);
      await digester.trimCovered(Object.keys(removed));
    } catch (err) {
      logger.warn(`audit retention skipped: ${(err as Error).message}`);
    }
  };
  const watcher = new ExpiryWatcher({ ...domain, logger });
  watcher.start();
  // Logouts queued by any process (or left by one that stopped) are delivered from here too.
  delivery.start();

  // Signed digests of every tenant's chain (README: Signed digests), driven by this process's entries and a timer.
  const signer = new DigestSigner(digestKey.privateKey, digestKey.publicKey);
  const digester = new AuditDigester({
    chain: domain.auditStore, digests: new RedisDigestStore(redis, config.redis.prefix), signer, clock: domain.clock, logger,
    tenants: async () => (await domain.tenants.list()).map((t) => t.id),
    everyEntries: config.audit.digestEveryEntries, everySeconds: config.audit.digestEverySeconds,
  });
  const unsubscribeDigester = domain.audit.subscribe((entry) => digester.observe(entry));
  digester.start();
  logger.info(`audit digests signed with key ${signer.keyId} (${digestKey.source === 'config' ? 'AUDIT_DIGEST_KEY_FILE' : `development key under ${config.dataDir}`}); public key for AUDIT_DIGEST_PUBLIC_KEYS: ${publicKeyText(digestKey.publicKey)}`);

  const retention = setInterval(() => void trim(), 3_600_000);
  retention.unref();
  const firstTrim = setTimeout(() => void trim(), 60_000).unref();

  // Actions a process left between change and entry get their entry: at start, then every minute.
  const completeInterrupted = () =>
    resolveInterrupted({ audit: domain.audit, tenants: domain.tenants, logger }, domain.clock.now()).catch((err: unknown) => logger.warn(`audit: interrupted actions not resolved yet: ${(err as Error).message}`));
  const interrupted = setInterval(() => void completeInterrupted(), 60_000);
  interrupted.unref();
  const firstCompletion = setTimeout(() => void completeInterrupted(), 2_000).unref();
  logger.info(`supportgate listening on port ${port}; issuers at ${config.publicUrl}/t/<tenant>`);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      shuttingDown = true;
      clearInterval(retention);
      clearInterval(interrupted);
      clearTimeout(firstTrim);
      clearTimeout(firstCompletion);
      await watcher.stop();
      await unsubscribe?.();
      logger.info('shutting down: no new connections, finishing in-flight requests');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Connections that finish their last request during shutdown are closed as they go idle.
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      const force = setTimeout(() => {
        logger.warn(`shutdown: closing connections still open after ${config.shutdownTimeoutMs} ms`);
        server.closeAllConnections();
      }, config.shutdownTimeoutMs);
      await closed;
      clearInterval(sweep);
      clearTimeout(force);
      // Attempts under way finish (each within its timeout); what is still queued waits in Redis for the next process.
      await delivery?.stop();
      await metricsListener?.close();
      // After the last request: what this process recorded since its last digests gets one.
      unsubscribeDigester();
      await digester.stop();
      await closeRedis(redis);
      logger.info('stopped');
    })());

  return { url: `http://localhost:${port}`, port, domain, redis, logger, stop, forwardAuthVerdicts: forwardAuth.verdicts, metrics, metricsPort: metricsListener?.port ?? null };
}
