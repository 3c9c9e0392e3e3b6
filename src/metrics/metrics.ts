/**
 * What a gateway process counts for Prometheus (README: Metrics). One object per process, passed
 * by hand to what it observes (as the logger and the clock are), with a registry of its own: two
 * gateways in one test process never share a count. Label values come from closed sets (typed
 * unions, the error catalogue's codes, a fixed list of event types): no tenant, user name or
 * secret is ever a label, so a series' count stays bounded whatever the traffic.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DenyReason } from '../support-access/may-enter.js';
import type { LoginRefusal } from '../support-access/login.js';

/** The login outcome's cause label: why it was refused, or `none`. */
export type LoginCause = LoginRefusal | 'rate-limited' | 'step-not-offered' | 'none';
/** A forward-auth answer: 200, 401, 403, another refusal, or a failure of ours (5xx). */
export type ForwardAuthOutcome = 'allowed' | 'unauthenticated' | 'forbidden' | 'refused' | 'error';
/** What went wrong with a Redis command (see ../metrics/redis.ts). */
export type RedisErrorKind = 'timeout' | 'connection' | 'cluster' | 'reply' | 'other';
export type TokenType = 'access_token' | 'refresh_token' | 'client_credentials';
/** What one attempt to deliver a Logout Token came to (src/oidc/backchannel-logout.ts). */
export type LogoutAttemptOutcome = 'delivered' | 'retry' | 'failed';

/** What set off a session's end: the access event, a token used after access ended, or anything else. */
const SESSION_END_TRIGGERS = new Set([
  'support.window.reduced', 'support.global.reduced', 'support.user.reduced', 'user.disabled', 'tenant.suspended', 'token used after access ended',
]);
const EVENT_TYPES = new Set([
  'support.window.reduced', 'support.global.reduced', 'support.user.reduced', 'user.disabled', 'tenant.suspended', 'tenant.changed', 'client.changed', 'keys.rotated',
]);

export interface GatewayMetricsSources {
  /** Support windows open now (read from Redis on a scrape, at most every `openWindowsCacheMs`). */
  openWindows?: () => Promise<number>;
  /** Whether the process's Redis client is connected and ready (no round trip). */
  redisReady?: () => boolean;
}

/** How long a scrape reuses the open-window count: scrapes stay cheap however often they come. */
const OPEN_WINDOWS_CACHE_MS = 10_000;

export class GatewayMetrics {
  readonly registry = new Registry();

  private readonly logins = new Counter({
    name: 'supportgate_logins_total',
    help: 'Sign-ins at the tenant login screens, by kind (user, support), outcome (success, refused) and cause (why refused; none on success).',
    labelNames: ['kind', 'outcome', 'cause'] as const,
    registers: [this.registry],
  });
  private readonly supportLogins = new Counter({
    name: 'supportgate_support_logins_total',
    help: 'Support logins (support_user$user) that succeeded.',
    registers: [this.registry],
  });
  private readonly sessionsEnded = new Counter({
    name: 'supportgate_support_sessions_ended_total',
    help: 'Support sessions ended because their access ended, by reason (the may-enter rule that no longer holds) and trigger (the access event, or a token used after access ended).',
    labelNames: ['reason', 'trigger'] as const,
    registers: [this.registry],
  });
  private readonly sessionEndDelay = new Histogram({
    name: 'supportgate_support_session_end_delay_seconds',
    help: "Seconds from the moment a support session's access ended (window closed or expired, user disabled ...) to the session and its tokens being deleted.",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  private readonly tokensIssued = new Counter({
    name: 'supportgate_tokens_issued_total',
    help: 'Tokens issued by the tenant issuers, by type (access_token, refresh_token, client_credentials).',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  private readonly tokenRefreshes = new Counter({
    name: 'supportgate_token_refreshes_total',
    help: 'Refresh token grants at the token endpoints, by outcome (success, refused).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly forwardAuth = new Counter({
    name: 'supportgate_forward_auth_decisions_total',
    help: 'Forward-auth decisions (GET /auth/verify), by outcome (allowed, unauthenticated, forbidden, refused, error) and reason (the error code; none when allowed).',
    labelNames: ['outcome', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly auditAppend = new Histogram({
    name: 'supportgate_audit_append_seconds',
    help: "Seconds from recording an audit entry to its being in its tenant's chain in Redis (queueing behind the batch under way included).",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly auditFailures = new Counter({
    name: 'supportgate_audit_append_failures_total',
    help: 'Audit entries that could not be written (the action they covered was refused), by reason (store: Redis refused or failed; invalid: the entry itself was rejected).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly redisErrors = new Counter({
    name: 'supportgate_redis_command_errors_total',
    help: 'Redis commands that failed, by kind (timeout, connection, cluster, reply, other). NOSCRIPT, answered by sending the script, is not counted.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly redisDuration = new Histogram({
    name: 'supportgate_redis_command_duration_seconds',
    help: 'Seconds from sending a Redis command to its answer, measured on a sample of commands (1 in 8) to keep the hot paths cheap.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly eventLag = new Histogram({
    name: 'supportgate_event_bus_lag_seconds',
    help: 'Seconds from publishing an access event to this process receiving it, by event type (across machines this includes their clock difference).',
    labelNames: ['type'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });

  private readonly logoutAttempts = new Counter({
    name: 'supportgate_backchannel_logout_attempts_total',
    help: 'Attempts to deliver a back-channel Logout Token, by outcome (delivered; retry: failed, another attempt follows; failed: failed for good).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(sources: GatewayMetricsSources = {}) {
    const { openWindows, redisReady } = sources;
    let cached: { value: number; at: number } | undefined;
    let reading: Promise<void> | undefined;
    new Gauge({
      name: 'supportgate_support_windows_open',
      help: 'Tenants whose support window is open now (read from Redis, at most every 10 s).',
      registers: [this.registry],
      // Workers read the same Redis: across `serve --workers N` the count is one of theirs, not the sum.
      aggregator: 'max',
      async collect() {
        if (!openWindows) return;
        if (!cached || performance.now() - cached.at > OPEN_WINDOWS_CACHE_MS) {
          // Scrapes at once share one read; a failed read keeps the last count (supportgate_redis_up says why).
          reading ??= openWindows()
            .then((value) => void (cached = { value, at: performance.now() }))
            .catch(() => undefined)
            .finally(() => (reading = undefined));
          await reading;
        }
        if (cached) this.set(cached.value);
      },
    });
    new Gauge({
      name: 'supportgate_redis_up',
      help: "1 while this process's Redis connection is ready, else 0 (across workers: the lowest).",
      registers: [this.registry],
      aggregator: 'min',
      collect() {
        if (redisReady) this.set(redisReady() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'supportgate_gateway_processes',
      help: 'Gateway processes these figures come from: 1, or across `serve --workers N` the workers that answered the scrape.',
      registers: [this.registry],
    }).set(1);
    // Series an alert or a rate() reads exist from the start, at 0, rather than appearing with the first failure.
    for (const kind of ['timeout', 'connection', 'cluster', 'reply', 'other'] as const) this.redisErrors.inc({ kind }, 0);
    for (const reason of ['store', 'invalid'] as const) this.auditFailures.inc({ reason }, 0);
    for (const outcome of ['success', 'refused'] as const) this.tokenRefreshes.inc({ outcome }, 0);
    for (const outcome of ['delivered', 'retry', 'failed'] as const) this.logoutAttempts.inc({ outcome }, 0);
    // Node's process metrics (CPU, memory, event loop, GC, handles), unprefixed as every Node
    // dashboard expects them. (They start an event-loop monitor and a GC observer per registry,
    // which live as long as the process: one gateway per process in production.)
    collectDefaultMetrics({ register: this.registry });
  }

  /** A login was decided at the login screen. */
  login(kind: 'user' | 'support', outcome: 'success' | 'refused', cause: LoginCause): void {
    this.logins.inc({ kind, outcome, cause });
    if (kind === 'support' && outcome === 'success') this.supportLogins.inc();
  }

  /** A support session was ended; `delaySeconds` since its access ended, when known. */
  sessionEnded(reason: DenyReason, trigger: string, delaySeconds: number | null): void {
    this.sessionsEnded.inc({ reason, trigger: SESSION_END_TRIGGERS.has(trigger) ? trigger : 'other' });
    if (delaySeconds !== null) this.sessionEndDelay.observe(Math.max(0, delaySeconds));
  }

  tokenIssued(type: TokenType): void {
    this.tokensIssued.inc({ type });
  }

  tokenRefreshed(outcome: 'success' | 'refused'): void {
    this.tokenRefreshes.inc({ outcome });
  }

  /** A forward-auth answer; `code` is the catalogue's code of a refusal (bounded), null when allowed. */
  forwardAuthDecided(outcome: ForwardAuthOutcome, code: string | null): void {
    this.forwardAuth.inc({ outcome, reason: code === null ? 'none' : code.toLowerCase() });
  }

  auditAppended(seconds: number): void {
    this.auditAppend.observe(seconds);
  }

  auditFailed(entries: number, reason: 'store' | 'invalid'): void {
    this.auditFailures.inc({ reason }, entries);
  }

  redisCommandFailed(kind: RedisErrorKind): void {
    this.redisErrors.inc({ kind });
  }

  redisCommandTook(seconds: number): void {
    this.redisDuration.observe(seconds);
  }

  eventReceived(type: string, lagSeconds: number): void {
    this.eventLag.observe({ type: EVENT_TYPES.has(type) ? type : 'other' }, Math.max(0, lagSeconds));
  }

  /** An attempt to deliver a Logout Token ended. */
  logoutAttempted(outcome: LogoutAttemptOutcome): void {
    this.logoutAttempts.inc({ outcome });
  }

  /** The text exposition of every metric, and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
