/**
 * OpenID Connect Back-Channel Logout 1.0, the delivery side: every gateway process takes due
 * logouts from the queue in Redis (backchannel-queue.ts), signs a Logout Token (§2.4) with the
 * tenant issuer's current key and POSTs it to the client's `backchannel_logout_uri`. Each attempt
 * is an audit entry; failures are retried with exponential backoff, a bounded number of times.
 * What queues the logouts is in backchannel-sessions.ts.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { AuditLog } from '../audit/audit-log.js';
import type { ClientRecord, ClientStore } from '../clients/clients.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { LogoutAttemptOutcome } from '../metrics/metrics.js';
import type { SigningAlg } from '../secrets/signing-keys.js';
import type { Tenant, TenantStore } from '../tenants/tenants.js';
import type { ClaimedLogout, LogoutJob, RedisLogoutQueue } from './backchannel-queue.js';

/** §2.4: the member of `events` that makes a JWT a Logout Token. */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A Logout Token is good for this long: it is delivered at once, and a replay later is refused by its `exp`. */
export const LOGOUT_TOKEN_SECONDS = 120;

export interface LogoutDeliveryOptions {
  /** How often each process looks for due logouts (besides being poked when it queues one itself). */
  pollMs: number;
  /** How long one attempt may take before it counts as failed (the RP's endpoint is slow or hangs). */
  attemptTimeoutMs: number;
  /**
   * Waits after each failed attempt; their number + 1 is the number of attempts. Default 5 s, 15 s,
   * 45 s, 2¼ min, 6¾ min: 6 attempts over about 10 minutes.
   */
  retryDelaysMs: number[];
  /**
   * How long a claimed logout is this process's alone: longer than an attempt with its audit entry.
   * A process that dies mid-attempt leaves its logouts to another process once it ends.
   */
  leaseMs: number;
  /** Attempts one process runs at a time. */
  concurrency: number;
}

export const DEFAULT_LOGOUT_DELIVERY: LogoutDeliveryOptions = {
  pollMs: 250,
  attemptTimeoutMs: 5000,
  retryDelaysMs: [5_000, 15_000, 45_000, 135_000, 405_000],
  leaseMs: 30_000,
  concurrency: 16,
};

/** The key an issuer signs with now, for one algorithm (SigningKeys.signer). */
export type SignerOf = (tenant: Pick<Tenant, 'id' | 'signingKeys'>, alg: SigningAlg) => Promise<{ key: CryptoKey | Uint8Array; alg: string; kid: string }>;

export interface LogoutDeliveryDeps {
  queue: RedisLogoutQueue;
  clients: Pick<ClientStore, 'get'>;
  tenants: Pick<TenantStore, 'get'>;
  signer: SignerOf;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  /** PUBLIC_URL: the issuer is `{publicUrl}/t/{tenant}`. */
  publicUrl: string;
  logger?: Logger | undefined;
  metrics?: { logoutAttempted(outcome: LogoutAttemptOutcome): void } | undefined;
}

/** What one POST came to. `cause` names a failure for the audit entry (never the token). */
interface AttemptResult {
  delivered: boolean;
  status: number | null;
  cause: string | null;
  /** No later attempt can do better (the client no longer has a URI). */
  hopeless?: boolean;
}

/** §2.5: POST the token as a form; 200 or 204 is success. Redirects are not followed: a 3xx is a failure. */
async function post(uri: string, logoutToken: string, timeoutMs: number): Promise<AttemptResult> {
  try {
    const res = await fetch(uri, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store' },
      body: new URLSearchParams({ logout_token: logoutToken }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 200 || res.status === 204) return { delivered: true, status: res.status, cause: null };
    return { delivered: false, status: res.status, cause: res.status >= 300 && res.status < 400 ? 'redirect-not-followed' : `http-${res.status}` };
  } catch (err) {
    const name = (err as Error).name;
    return { delivered: false, status: null, cause: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'unreachable' };
  }
}

/**
 * The Logout Token of one job (§2.4): iss, aud (the client), iat, exp, jti, events, sub and sid;
 * never a nonce; header typ `logout+jwt`. Signed like the client's ID tokens: with the algorithm it
 * registered (RS256 unless it asked for another), by the issuer's current key for it.
 */
export class LogoutTokens {
  constructor(private readonly deps: Pick<LogoutDeliveryDeps, 'tenants' | 'signer' | 'clock' | 'publicUrl'>) {}

  async sign(job: Pick<LogoutJob, 'tenant' | 'clientId' | 'sub' | 'sid'>, client: Pick<ClientRecord, 'idTokenAlg'>): Promise<string> {
    const tenant = (await this.deps.tenants.get(job.tenant)) ?? { id: job.tenant };
    const { key, alg, kid } = await this.deps.signer(tenant, client.idTokenAlg ?? 'RS256');
    const now = Math.floor(this.deps.clock.now() / 1000);
    return new SignJWT({ events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, sid: job.sid })
      .setProtectedHeader({ alg, kid, typ: 'logout+jwt' })
      .setIssuer(`${this.deps.publicUrl}/t/${job.tenant}`)
      .setAudience(job.clientId)
      .setSubject(job.sub)
      .setIssuedAt(now)
      .setExpirationTime(now + LOGOUT_TOKEN_SECONDS)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(key);
  }
}

/**
 * Delivers queued logouts, in every gateway process. Claims (backchannel-queue.ts) make each
 * attempt happen in exactly one process; the queue lives in Redis, so a restart loses nothing.
 */
export class LogoutDelivery {
  private readonly options: LogoutDeliveryOptions;
  private readonly tokens: LogoutTokens;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private claiming: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private unreadable = false;

  constructor(private readonly deps: LogoutDeliveryDeps, options: Partial<LogoutDeliveryOptions> = {}) {
    this.options = { ...DEFAULT_LOGOUT_DELIVERY, ...options };
    this.tokens = new LogoutTokens(deps);
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.poke(), this.options.pollMs);
    this.timer.unref();
    this.poke();
  }

  /** Looks for due logouts now (this process just queued one), not at the next poll. */
  poke(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = this.claimDue()
      .then(() => void (this.unreadable = false))
      .catch((err: unknown) => {
        // Once per outage, not once per poll: Redis being away is reported elsewhere too.
        if (!this.unreadable) this.deps.logger?.warn(`back-channel logout: could not read the queue: ${(err as Error).message}`);
        this.unreadable = true;
      })
      .finally(() => {
        this.claiming = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Takes no more logouts and waits for the attempts under way (each ends within its timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.claiming;
    await Promise.all([...this.inFlight]);
  }

  private async claimDue(): Promise<void> {
    const room = this.options.concurrency - this.inFlight.size;
    if (room <= 0) return;
    const claimed = await this.deps.queue.claim(this.deps.clock.now(), this.options.leaseMs, room);
    for (const c of claimed) {
      const attempt: Promise<void> = this.attempt(c)
        .catch((err: unknown) => void this.deps.logger?.error(`back-channel logout to ${c.job.clientId} in ${c.job.tenant}: ${(err as Error).message}`))
        .finally(() => {
          this.inFlight.delete(attempt);
          // A slot came free: due logouts need not wait for the next poll.
          this.poke();
        });
      this.inFlight.add(attempt);
    }
  }

  /**
   * One attempt: sign, POST, record, then settle the job. If the entry cannot be written, the job
   * is left claimed: its lease ends and it is attempted (and recorded) again, so no attempt's
   * result goes unrecorded.
   */
  private async attempt(c: ClaimedLogout): Promise<void> {
    const { job } = c;
    const { clients, queue, audit, clock, logger } = this.deps;
    const client = await clients.get(job.tenant, job.clientId);
    let result: AttemptResult;
    if (!client?.backchannelLogoutUri) {
      result = { delivered: false, status: null, cause: 'no-backchannel-logout-uri', hopeless: true };
    } else {
      let token: string | null = null;
      try {
        token = await this.tokens.sign(job, client);
      } catch (err) {
        logger?.error(`back-channel logout: could not sign a logout token for ${job.clientId} in ${job.tenant}: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`);
      }
      result = token === null ? { delivered: false, status: null, cause: 'signing-failed' } : await post(client.backchannelLogoutUri, token, this.options.attemptTimeoutMs);
    }
    const last = result.delivered || result.hopeless === true || c.attempt > this.options.retryDelaysMs.length;
    await audit.record({
      tenant: job.tenant,
      who: job.who,
      actor: job.actor,
      subject: job.subject,
      action: result.delivered ? 'logout.delivered' : 'logout.failed',
      outcome: result.delivered ? 'success' : 'failure',
      cause: result.cause,
      channel: 'system',
      clientId: job.clientId,
      details: { client: job.clientId, sid: job.sid, status: result.status, attempt: c.attempt, trigger: job.trigger, ...(result.delivered ? {} : { final: last }) },
    });
    const outcome: LogoutAttemptOutcome = result.delivered ? 'delivered' : last ? 'failed' : 'retry';
    if (outcome === 'retry') await queue.retry(c, clock.now() + this.options.retryDelaysMs[c.attempt - 1]!);
    else await queue.finish(c, outcome === 'delivered' ? 'delivered' : 'failed');
    this.deps.metrics?.logoutAttempted(outcome);
    if (outcome === 'failed') logger?.warn(`back-channel logout to client ${job.clientId} in ${job.tenant} failed for good after attempt ${c.attempt}: ${result.cause}`);
  }
}
