/**
 * The Username field's notation (SPEC §3), parsed at the first `$`, with an optional `tenant/`
 * in front for clients that have no Tenant ID field:
 *   john → user john;  jill$john → support user jill as john;  jill$ → jill as the oldest enabled
 *   tenant admin;  acme/jill$john, acme/john → the same in tenant acme;  $john, $, a$b$c → invalid.
 */
export type LoginName =
  | { kind: 'user'; tenant: string | null; username: string }
  | { kind: 'support'; tenant: string | null; supportUser: string; target: string | null };

export function parseLoginName(typed: string): LoginName | null {
  const text = typed.trim();
  if (text === '' || text.length > 300) return null;
  const slash = text.indexOf('/');
  const tenant = slash >= 0 ? text.slice(0, slash) : null;
  const rest = slash >= 0 ? text.slice(slash + 1) : text;
  if (tenant !== null && !/^[a-z][a-z0-9-]{1,62}$/.test(tenant)) return null;
  const dollar = rest.indexOf('$');
  if (dollar < 0) return rest === '' ? null : { kind: 'user', tenant, username: rest };
  const supportUser = rest.slice(0, dollar);
  const target = rest.slice(dollar + 1);
  if (supportUser === '' || target.includes('$')) return null;
  return { kind: 'support', tenant, supportUser, target: target === '' ? null : target };
}
