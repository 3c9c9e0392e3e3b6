import type Provider from 'oidc-provider';
import type { GatewayMetrics } from './metrics.js';

/** The grant type a token request asked for (oidc-provider's parsed parameters; absent when it failed before parsing). */
const grantTypeOf = (ctx: unknown) => (ctx as { oidc?: { params?: { grant_type?: unknown } } } | undefined)?.oidc?.params?.grant_type;

/**
 * Counts the tokens a tenant's provider issues and its refreshes, from the events oidc-provider
 * emits on the instance (no hook inside the provider). Returns the provider, so main.ts wraps
 * the one it builds; without metrics, nothing is listened to.
 */
export function observeProvider(provider: Provider, metrics: Pick<GatewayMetrics, 'tokenIssued' | 'tokenRefreshed'> | undefined): Provider {
  if (!metrics) return provider;
  // 'saved': a token stored by the adapter (opaque); 'issued': a structured one, nothing stored.
  // (A refresh token is always stored.)
  provider.on('access_token.saved', () => metrics.tokenIssued('access_token'));
  provider.on('access_token.issued', () => metrics.tokenIssued('access_token'));
  provider.on('refresh_token.saved', () => metrics.tokenIssued('refresh_token'));
  provider.on('client_credentials.saved', () => metrics.tokenIssued('client_credentials'));
  provider.on('client_credentials.issued', () => metrics.tokenIssued('client_credentials'));
  provider.on('grant.success', (ctx: unknown) => {
    if (grantTypeOf(ctx) === 'refresh_token') metrics.tokenRefreshed('success');
  });
  // A refused refresh (expired, revoked, reused token; an ended support session): 4xx only, a 5xx is 'server_error'.
  provider.on('grant.error', (ctx: unknown) => {
    if (grantTypeOf(ctx) === 'refresh_token') metrics.tokenRefreshed('refused');
  });
  return provider;
}
