import type { Domain } from '../domain.js';
import type { Admin } from '../admin/index.js';
import { MANAGEMENT_TENANT } from '../tenants/tenants.js';
import type { Role } from '../users/users.js';

export interface DemoAccount {
  tenant: string;
  /** What to type in the login screen's Username field. */
  login: string;
  password: string;
  what: string;
}

interface DemoUser {
  tenant: string;
  username: string;
  password: string;
  roles: Role[];
  scope?: string[];
  what: string;
}

// Demo passwords are public on purpose: they are printed by `demo seed` and in the README.
const DEMO_USERS: DemoUser[] = [
  { tenant: MANAGEMENT_TENANT, username: 'platform', password: 'platform-demo-pw', roles: ['platform-admin'], what: 'platform admin' },
  { tenant: MANAGEMENT_TENANT, username: 'jill', password: 'jill-demo-pw', roles: ['support'], scope: ['acme'], what: 'support user, scope: acme' },
  { tenant: MANAGEMENT_TENANT, username: 'audrey', password: 'audrey-demo-pw', roles: ['auditor'], what: 'platform auditor' },
  { tenant: 'acme', username: 'admin', password: 'admin-demo-pw', roles: ['tenant-admin'], what: 'tenant admin of acme' },
  { tenant: 'acme', username: 'john', password: 'john-demo-pw', roles: ['user'], what: 'user of acme' },
  { tenant: 'acme', username: 'mary', password: 'mary-demo-pw', roles: ['user', 'auditor'], what: 'user and tenant auditor of acme' },
];

/**
 * Idempotent demo data: tenant acme with an admin and users, the management tenant with a
 * platform admin, a support user scoped to acme and an auditor. Running it again resets the demo
 * accounts to these values. Every change is audited like any other.
 */
export async function seedDemo(domain: Domain, ops: Admin): Promise<DemoAccount[]> {
  if (!(await domain.tenants.get('acme'))) await ops.createTenant({ id: 'acme', name: 'ACME Corporation' });
  for (const u of DEMO_USERS) {
    const existing = await domain.users.findByUsername(u.tenant, u.username);
    if (existing) {
      await ops.setUser({ tenant: u.tenant, username: u.username, enabled: true, roles: u.roles, scope: u.scope ?? [], password: u.password });
    } else {
      await ops.createUser({ tenant: u.tenant, username: u.username, password: u.password, roles: u.roles, scope: u.scope });
    }
  }
  const jill = DEMO_USERS.find((u) => u.username === 'jill')!;
  return [
    ...DEMO_USERS.map((u) => ({ tenant: u.tenant, login: u.username, password: u.password, what: u.what })),
    { tenant: 'acme', login: 'jill$john', password: jill.password, what: 'jill (support) as john, while acme allows support' },
    { tenant: 'acme', login: 'jill$', password: jill.password, what: "jill (support) as acme's oldest tenant admin" },
  ];
}

/**
 * The demo app's client in acme (first-party, confidential), registered for `appUrl`; an
 * existing one is reused, or registered again if the app moved to another address.
 */
export async function ensureDemoClient(domain: Domain, ops: Admin, appUrl: string): Promise<{ clientId: string; clientSecret: string }> {
  const clientId = 'demo-app';
  const redirectUris = [`${appUrl}/callback`];
  const existing = await domain.clients.get('acme', clientId);
  if (existing && existing.redirectUris.join() === redirectUris.join() && existing.sealedSecret) {
    return { clientId, clientSecret: domain.secretBox.open(existing.sealedSecret) };
  }
  if (existing) await domain.clients.remove('acme', clientId);
  const { clientSecret } = await ops.createClient({ tenant: 'acme', clientId, redirectUris, postLogoutRedirectUris: [`${appUrl}/`], firstParty: true });
  return { clientId, clientSecret: clientSecret! };
}
