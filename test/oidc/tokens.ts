import * as client from 'openid-client';
import type { RelyingParty } from '../../bench/oidc-client.js';

export type Tokens = { access_token: string; refresh_token?: string | undefined; id_token?: string | undefined; claims(): { sub: string } | undefined };

/** What a tenant app sees of a token: introspection, refresh, userinfo. */
export async function usable(rp: RelyingParty, t: Tokens): Promise<{ active: boolean; refresh: string; userinfo: string }> {
  const active = (await client.tokenIntrospection(rp.config, t.access_token)).active;
  const refresh = await client.refreshTokenGrant(rp.config, t.refresh_token!).then(() => 'ok', (e: { error?: string }) => e.error ?? 'error');
  const userinfo = await client.fetchUserInfo(rp.config, t.access_token, t.claims()!.sub).then(() => 'ok', (e: { status?: number; response?: Response }) => String(e.response?.status ?? e.status ?? 'error'));
  return { active, refresh, userinfo };
}

/** Polls introspection until the token is inactive and says how long it took; throws after 3 s. */
export async function untilInactive(rp: RelyingParty, t: Tokens): Promise<number> {
  const start = Date.now();
  while ((await client.tokenIntrospection(rp.config, t.access_token)).active) {
    if (Date.now() - start > 3000) throw new Error('token still active after 3 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}
