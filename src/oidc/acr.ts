/**
 * Authentication context classes (OIDC Core 2, 5.5.1.1). A sign-in here proves one thing, a
 * password, for ordinary and support logins alike (support logins are told apart by `act`).
 */
export const ACR_PASSWORD = 'urn:supportgate:acr:password';

/**
 * The acr values an authorization request makes essential (claims={"id_token":{"acr":{"essential":
 * true,"values":[...]}}}), or null when it makes none essential. `acr_values` alone is voluntary.
 */
export function essentialAcrValues(claimsParam: unknown): string[] | null {
  if (typeof claimsParam !== 'string' || claimsParam === '') return null;
  let claims: unknown;
  try {
    claims = JSON.parse(claimsParam);
  } catch {
    return null; // oidc-provider refuses malformed claims itself
  }
  const acr = (claims as { id_token?: { acr?: { essential?: unknown; value?: unknown; values?: unknown } | null } } | null)?.id_token?.acr;
  if (!acr || acr.essential !== true) return null;
  const values = Array.isArray(acr.values) ? acr.values : typeof acr.value === 'string' ? [acr.value] : [];
  return values.filter((v): v is string => typeof v === 'string');
}

/** Whether a sign-in here can satisfy the request's essential acr (true when none is essential, or no value is named). */
export function acrSatisfiable(claimsParam: unknown): boolean {
  const values = essentialAcrValues(claimsParam);
  return values === null || values.length === 0 || values.includes(ACR_PASSWORD);
}
