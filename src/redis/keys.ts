/**
 * Key layout. Every key starts with the configured prefix. Keys of one tenant carry the tenant as
 * a hash tag (`{t:acme}`), so a tenant lives in one Redis Cluster slot and its multi-key scripts
 * never cross slots; the tenant registry lives under the `{g}` tag. Only the first `{...}` of a
 * key is hashed, which is why the prefix may not contain braces (config refuses it).
 */
export function tenantKey(prefix: string, tenant: string, ...parts: string[]): string {
  return `${prefix}{t:${tenant}}:${parts.join(':')}`;
}

export function globalKey(prefix: string, ...parts: string[]): string {
  return `${prefix}{g}:${parts.join(':')}`;
}

/** Keys of one actor across tenants (the audit index of a support user) under the actor's tag. */
export function actorKey(prefix: string, actorId: string, ...parts: string[]): string {
  return `${prefix}{a:${actorId}}:${parts.join(':')}`;
}
