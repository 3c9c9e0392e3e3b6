/**
 * Back-channel logout, the queuing side: whenever a session ends, one logout per client of the
 * session that registered a `backchannel_logout_uri` goes into the queue in Redis
 * (backchannel-queue.ts); LogoutDelivery (backchannel-logout.ts) delivers it. Queuing is one
 * Redis script per client, so whatever ends a session is not slowed by the clients' endpoints.
 */
import Provider from 'oidc-provider';
import type { ClientStore } from '../clients/clients.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/client.js';
import { auditIdentity, type SupportSession } from '../support-access/sessions.js';
import type { UserStore } from '../users/users.js';
import { storedSessionByUid, type StoredSessionParties } from './adapter.js';
import type { RedisLogoutQueue } from './backchannel-queue.js';
import { oidcRequest } from './request-context.js';

export interface LogoutNoticesDeps {
  queue: RedisLogoutQueue;
  clients: Pick<ClientStore, 'get'>;
  users: Pick<UserStore, 'get'>;
  clock: Clock;
  /** Where the sessions live (to read one before it is deleted). */
  redis: RedisClient;
  prefix: string;
  logger?: Logger | undefined;
  /** Called once something was queued (this process's delivery looks at once instead of at its next poll). */
  queued?: () => void;
}

/** Queues the logouts of sessions that end. */
export class LogoutNotices {
  constructor(private readonly deps: LogoutNoticesDeps) {}

  /**
   * A stored session is about to be deleted (support access ended, ...): its clients' logouts are
   * queued first, so that a process dying in between loses none. Returns how many were queued.
   */
  async sessionEnding(tenant: string, sessionUid: string, trigger: string): Promise<number> {
    const stored = await storedSessionByUid(this.deps.redis, this.deps.prefix, tenant, sessionUid);
    return stored ? this.partiesEnding(tenant, stored, trigger) : 0;
  }

  /** The same for a session already read (a tenant sweep reads them by the page). */
  async partiesEnding(tenant: string, session: StoredSessionParties, trigger: string, onlyClients?: readonly string[]): Promise<number> {
    if (!session.accountId) return 0;
    const targets = Object.entries(session.authorizations).filter(([clientId, a]) => a.sid && (!onlyClients || onlyClients.includes(clientId)));
    if (targets.length === 0) return 0;
    const identity = await this.identity(tenant, session.accountId, session.stamp);
    let queued = 0;
    for (const [clientId, { sid }] of targets) {
      const client = await this.deps.clients.get(tenant, clientId);
      if (!client?.backchannelLogoutUri) continue;
      const job = { tenant, clientId, sid: sid!, sub: session.accountId, ...identity, trigger, queuedAt: this.deps.clock.now() };
      if (await this.deps.queue.enqueue(job, job.queuedAt)) queued++;
    }
    if (queued > 0) this.deps.queued?.();
    return queued;
  }

  /** Who the session was, as its audit entries name it: `jill$john` for a support session, else `john`. */
  private async identity(tenant: string, accountId: string, stamp: SupportSession | null) {
    const user = await this.deps.users.get(tenant, accountId).catch(() => null);
    const username = user?.username ?? stamp?.target.username ?? null;
    return auditIdentity({ id: accountId, username, tenant }, stamp);
  }
}

type ClientPrototype = {
  clientId: string;
  backchannelLogout(sub: string, sid: string): Promise<void>;
  includeSid(): boolean;
};

/**
 * Makes a tenant's Provider queue its back-channel logouts instead of sending them.
 *
 * `features.backchannelLogout` stays enabled: it is what accepts the clients'
 * `backchannel_logout_uri`, advertises `backchannel_logout_supported` and
 * `backchannel_logout_session_supported` in discovery, and calls `Client#backchannelLogout(sub,
 * sid)` for each client of a session ended at the end-session endpoint (RP-initiated logout,
 * lib/actions/end_session.js). Its own delivery in that method is replaced, because it POSTs from
 * inside the end-session request (the user's sign-out waits for every app), refuses loopback and
 * other special-use addresses (so it reaches neither a local app nor mod_auth_openidc on
 * localhost), and is never retried nor recorded. Overriding the method on this provider's Client
 * class keeps everything else of the feature and touches no other provider. (There is no
 * configuration hook for the delivery in oidc-provider 9.)
 *
 * `includeSid` is widened too: oidc-provider puts `sid` in ID tokens only for clients registered
 * with `backchannel_logout_session_required`; SPEC §4 wants it in every ID token, so that any app
 * can match a Logout Token (which always carries `sid`) to the session it started.
 */
export function queueProviderLogouts(provider: Provider, tenant: string, notices: LogoutNotices): void {
  const prototype = (provider.Client as unknown as { prototype: ClientPrototype }).prototype;
  prototype.backchannelLogout = async function (this: ClientPrototype, sub: string, sid: string) {
    // The session signed out of: the request's own (its support stamp was noted when it was read).
    const uid = (Provider.ctx as { oidc?: { session?: { uid?: string } } } | undefined)?.oidc?.session?.uid;
    const stamp = uid ? (oidcRequest()?.sessions.get(uid) ?? null) : null;
    await notices.partiesEnding(tenant, { accountId: sub, authorizations: { [this.clientId]: { sid } }, stamp }, 'logout');
  };
  prototype.includeSid = () => true;
}
