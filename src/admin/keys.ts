import type { KeyScope, SigningKeys } from '../secrets/signing-keys.js';
import { AppError } from '../errors.js';
import { MANAGEMENT_TENANT, requireTenant } from '../tenants/tenants.js';
import type { AdminContext, AdminRunner } from './context.js';

/** Signing keys: rotate (audited, platform admins only) and list. */
export function keyActions({ domain }: AdminContext, admin: AdminRunner) {
  /** A tenant's scope as its record says (a tenant on the platform keys shows the platform's). */
  const scopeFor = async (tenant: string | null): Promise<KeyScope> => {
    if (tenant === null) return { kind: 'platform' };
    const record = await requireTenant(domain.tenants, tenant);
    return record.signingKeys === 'own' ? { kind: 'tenant', tenant } : { kind: 'platform' };
  };
  /** A rotation's scope: a tenant's own keys, or the platform's (asked for as such, never through one tenant). */
  const rotationScope = async (tenant: string | null): Promise<KeyScope> => {
    const scope = await scopeFor(tenant);
    if (tenant !== null && scope.kind === 'platform') throw new AppError('KEYS_ARE_PLATFORM', undefined, { params: { tenant } });
    return scope;
  };
  return {
    /**
     * Rotates the signing keys of one tenant (its own keys) or of the platform (tenant null; a
     * tenant on the platform keys is refused, naming the platform rotation): a new key per algorithm is published now and signs from
     * now + publishAheadMs; the keys it replaces stay published keepMs after that. Every gateway
     * rebuilds the issuers concerned (the keys.rotated event; else within 30 s).
     */
    rotateSigningKeys: (keys: SigningKeys, input: { tenant: string | null; publishAheadMs: number; keepMs: number }) =>
      admin.act({
        permission: 'keys.rotate',
        target: { tenant: input.tenant ?? MANAGEMENT_TENANT },
        entry: { tenant: input.tenant ?? MANAGEMENT_TENANT, action: 'keys.rotated' },
        run: async () => {
          const scope = await rotationScope(input.tenant);
          const rotation = await keys.rotate(scope, { publishAheadMs: input.publishAheadMs, keepMs: input.keepMs });
          const signsFrom = rotation.added[0]!.signsFrom;

          // The ring as it was stays here (for the undo): it holds sealed private keys, never shown.
          const { before, after, added, retired } = rotation;
          return {
            value: { scope, added, retired },
            details: {
              scope: scope.kind === 'platform' ? 'platform' : scope.tenant,
              added: added.map((k) => `${k.alg} ${k.kid}`),
              retired: retired.map((k) => `${k.alg} ${k.kid}`),
              signsFrom: new Date(signsFrom).toISOString(),
            },
            undo: () => keys.restore(scope, after, before),
          };
        },
        events: ({ scope }) => [{ type: 'keys.rotated', tenant: scope.kind === 'platform' ? null : scope.tenant }],
      }),

    /** The stages of a scope's keys now (no secret: kids, algorithms and times). */
    listSigningKeys: async (keys: SigningKeys, tenant: string | null) =>
      admin.read('keys.rotate', { tenant: tenant ?? MANAGEMENT_TENANT }, async () => {
        const scope = await scopeFor(tenant);
        return { scope, keys: await keys.list(scope) };
      }),
  };
}
