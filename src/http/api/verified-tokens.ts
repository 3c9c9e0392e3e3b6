/**
 * Forward-auth's verdict cache: the same bearer token comes with every request of an app, and
 * oidc-provider's checks of it cost four reads one after the other and a model each. A token the
 * full path accepted is remembered with the raw records those checks were made on (token, grant,
 * session, as the adapter read them in that request). A later use reads the same keys in one
 * round trip: if every record is byte for byte what was checked, the record-based checks would
 * decide the same, so only what depends on time or on other records is checked again —
 * expiries, the tenant (active, not suspended since any record was issued), the user (enabled),
 * and for a support session `mayStay`. Anything else (a record changed, deleted, a doubt) goes
 * back to the full path, which decides, refuses and ends sessions as before.
 */
import type { RedisClient } from '../../redis/client.js';
import { issuedBeforeSuspension, oidcKey } from '../../oidc/adapter.js';
import { mayStay } from '../../support-access/may-enter.js';
import type { SupportSession } from '../../support-access/sessions.js';
import type { SupportDeps } from '../../support-access/support.js';
import type { User } from '../../users/users.js';

/** How long a verdict is used at most before the full path checks the token again. */
const VERDICT_MS = 30_000;
const MAX_VERDICTS = 10_000;

/** What the full path found, as the verdict remembers it. */
export interface AcceptedToken {
  accountId: string;
  clientId: string;
  scope: string | undefined;
  exp: number | undefined;
  stamp: SupportSession | null;
}

interface Verdict extends AcceptedToken {
  tenant: string;
  reads: [key: string, raw: string][];
  iats: number[];
  useUntil: number;
}

export class VerifiedTokens {
  private readonly verdicts = new Map<string, Verdict>();
  /** Uses answered from a verdict (for tests and metrics). */
  hits = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly access: SupportDeps,
  ) {}

  private key(tenant: string, value: string): string {
    return oidcKey(this.prefix, tenant, 'AccessToken', value);
  }

  /** After the full path accepted a person's token: what its checks were made on. */
  remember(tenant: string, value: string, token: AcceptedToken, reads: Map<string, string | null>): void {
    const key = this.key(tenant, value);
    if (!reads.has(key)) return;
    let useUntil = this.access.clock.now() + VERDICT_MS;
    const iats: number[] = [];
    for (const raw of reads.values()) {
      if (raw === null) return; // something it looked for was absent: nothing to hold on to
      if (!raw.startsWith('{')) continue; // an index (a session's uid → its key)
      const record = JSON.parse(raw) as { exp?: unknown; iat?: unknown };
      if (typeof record.exp === 'number') useUntil = Math.min(useUntil, record.exp * 1000);
      if (typeof record.iat === 'number') iats.push(record.iat);
    }
    if (this.verdicts.size >= MAX_VERDICTS) this.verdicts.delete(this.verdicts.keys().next().value!);
    this.verdicts.set(key, { ...token, tenant, reads: [...reads] as [string, string][], iats, useUntil });
  }

  /** The token's person, if its verdict still holds; null sends it to the full path. */
  async recheck(tenant: string, value: string): Promise<{ token: AcceptedToken; user: User } | null> {
    const key = this.key(tenant, value);
    const v = this.verdicts.get(key);
    if (!v || v.tenant !== tenant) return null;
    if (this.access.clock.now() >= v.useUntil) {
      this.verdicts.delete(key);
      return null;
    }
    const s = v.stamp;
    // One round trip: the records, the tenant, the user, and (support) the access facts.
    const [raws, tenantRecord, user, decision] = await Promise.all([
      Promise.all(v.reads.map(([k]) => this.redis.get(k))),
      this.access.tenants.get(tenant),
      this.access.users.get(tenant, v.accountId),
      s ? mayStay(this.access, { tenant, actor: s.actor, target: { id: v.accountId }, startedAt: s.startedAt }) : Promise.resolve(null),
    ]);
    const same = raws.every((raw, i) => raw === v.reads[i]![1]);
    const tenantOk = tenantRecord !== null && tenantRecord.status === 'active' && !v.iats.some((iat) => issuedBeforeSuspension(iat, tenantRecord));
    if (!same || !tenantOk || !user || !user.enabled || (decision !== null && !decision.ok)) {
      this.verdicts.delete(key);
      return null;
    }
    this.hits++;
    return { token: v, user };
  }
}
