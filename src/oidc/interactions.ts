import type Provider from 'oidc-provider';
import { AppError } from '../errors.js';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * The grant a consent gives: the interaction's grant (or a new one for the signed-in account and
 * the client) with the scopes and claims the prompt said were missing. Returns what was granted.
 */
export async function grantConsent(provider: Provider, details: Details, accountId: string, clientId: string): Promise<{ grantId: string; scopes: string[] }> {
  const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId });
  if (!grant) throw new AppError('SIGN_IN_EXPIRED');
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  return { grantId: await grant.save(), scopes: missing.missingOIDCScope ?? [] };
}

/** The display name of the client an interaction is for (its id, until clients have names). */
export async function clientNameOf(provider: Provider, details: Details): Promise<string | null> {
  return (await provider.Client.find(String(details.params.client_id)))?.clientId ?? null;
}
