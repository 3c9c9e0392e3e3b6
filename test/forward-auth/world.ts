import { relyingParty, signIn } from '../../bench/oidc-client.js';
import { oidcWorld, type OidcWorld } from '../oidc/setup.js';

/** The host shop's apps are served on (a tenant domain), and mart's. */
export const SHOP_HOST = 'shop.example.test';
export const MART_HOST = 'mart.example.test';

export interface ForwardAuthWorld {
  world: OidcWorld;
  /** Access tokens of shop's issuer: john, jill as jill$john (shop allows support); mart's bea. */
  john: string;
  jill: string;
  bea: string;
}

/**
 * A gateway trusting loopback proxies, with tenants served on their own hosts: shop (john, admin;
 * support opened by admin, jill's scope takes it in) and mart (bea), and real tokens of each.
 */
export async function forwardAuthWorld(name: string, env: Record<string, string> = {}): Promise<ForwardAuthWorld> {
  const world = await oidcWorld(name, { TRUST_PROXY: 'loopback', ...env });
  const ops = world.ops;
  await ops.createTenant({ id: 'shop', domains: [SHOP_HOST] });
  await ops.createTenant({ id: 'mart', domains: [MART_HOST] });
  await ops.createUser({ tenant: 'shop', username: 'john', password: 'john-secret-pw' });
  await ops.createUser({ tenant: 'shop', username: 'admin', password: 'admin-secret-pw', roles: ['tenant-admin'] });
  await ops.createUser({ tenant: 'mart', username: 'bea', password: 'bea-secret-pw' });
  await ops.setUser({ tenant: 'management', username: 'jill', scope: ['acme', 'beta', 'shop'] });
  const token = async (tenant: string, username: string, password: string) => {
    const clientId = `${tenant}-${username.replace('$', '-')}`;
    const redirectUri = world.clients.acme!.redirectUri.replace('/acme/', `/${tenant}/`);
    const { clientSecret } = await ops.createClient({ tenant, clientId, redirectUris: [redirectUri], firstParty: true });
    const r = await signIn(await relyingParty(world.issuer(tenant), clientId, clientSecret!, redirectUri), username, password);
    if (!r.ok) throw new Error(`${username}: ${r.error}`);
    return r.tokens.access_token;
  };
  await ops.openSupport({ tenant: 'shop', username: 'admin', reason: 'forward-auth test' });
  return { world, john: await token('shop', 'john', 'john-secret-pw'), jill: await token('shop', 'jill$john', 'jill-secret-pw'), bea: await token('mart', 'bea', 'bea-secret-pw') };
}
