/**
 * X-Auth-Token: what an app behind the proxy can verify instead of trusting bare headers. A JWT
 * signed with the tenant issuer's own key (the app checks it against `{issuer}/jwks`), for one
 * app origin (`aud`), living FORWARD_AUTH_TOKEN_SECONDS and never past a support window's end;
 * the same claims as the issuer's tokens: sub, preferred_username, tenant, and `act` for a
 * support session (SPEC §4). Signing is not free, so a token is reused while at least half its
 * life is left and nothing it says has changed.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Clock } from '../clock.js';
import { actClaim } from '../support-access/sessions.js';

export interface UpstreamIdentity {
  tenant: string;
  userId: string;
  username: string;
  actor: { id: string; username: string } | null;
  /** When what allowed this decision ends (epoch seconds): the access token's or the window's end. */
  endsAt: number | null;
}

/** At most this many tokens are kept for reuse; past it the oldest half is dropped. */
const MAX_CACHED = 10_000;

/** The key a tenant's issuer signs with now (SigningKeys.signer): its own or the platform's, ES256 where it has one. */
export type UpstreamSigner = (tenant: string) => Promise<{ key: CryptoKey | Uint8Array; alg: string; kid: string }>;

export class UpstreamTokens {
  private readonly cache = new Map<string, { jwt: string; reuseUntil: number }>();

  constructor(
    private readonly signer: UpstreamSigner,
    private readonly publicUrl: string,
    private readonly seconds: number,
    private readonly clock: Clock,
  ) {}

  async tokenFor(who: UpstreamIdentity, audience: string): Promise<string> {
    const now = Math.floor(this.clock.now() / 1000);
    const cacheKey = [who.tenant, who.userId, who.username, who.actor?.id ?? '', who.actor?.username ?? '', who.endsAt ?? '', audience].join('\n');
    const cached = this.cache.get(cacheKey);
    if (cached && now < cached.reuseUntil) return cached.jwt;
    const exp = Math.min(now + this.seconds, who.endsAt ?? Number.POSITIVE_INFINITY);
    const { key, alg, kid } = await this.signer(who.tenant);
    const jwt = await new SignJWT({
      tenant: who.tenant,
      preferred_username: who.username,
      ...(who.actor ? { act: actClaim({ actor: who.actor }) } : {}),
    })
      .setProtectedHeader({ alg, typ: 'JWT', kid })
      .setIssuer(`${this.publicUrl}/t/${who.tenant}`)
      .setSubject(who.userId)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(Math.max(exp, now + 1))
      .setJti(randomBytes(12).toString('base64url'))
      .sign(key);
    if (this.cache.size >= MAX_CACHED) [...this.cache.keys()].slice(0, MAX_CACHED / 2).forEach((k) => this.cache.delete(k));
    this.cache.set(cacheKey, { jwt, reuseUntil: now + Math.floor((exp - now) / 2) });
    return jwt;
  }
}
