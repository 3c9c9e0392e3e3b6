import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { queryPage, type AuditFilter } from '../../src/audit/query.js';
import { oidcWorld, type OidcWorld } from './setup.js';

describe("failed logins reach the support user's cross-tenant audit view", () => {
  let world: OidcWorld;
  let acme: RelyingParty;
  let gamma: RelyingParty;
  const entries = async (filter: AuditFilter) => {
    const d = world.gateway.domain;
    return (await queryPage({ audit: d.auditStore, tenants: d.tenants, users: d.users }, filter, 20)).entries;
  };
  const userParty = async (tenant: string, username: string) => {
    const user = (await world.gateway.domain.users.findByUsername(tenant, username))!;
    return { type: 'user', id: user.id, name: user.username, tenant };
  };

  beforeAll(async () => {
    world = await oidcWorld('oidc-login-audit');
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
    // gamma is outside jill's scope (acme, beta).
    await world.ops.createTenant({ id: 'gamma' });
    const redirectUri = world.clients.acme!.redirectUri.replace('/acme/', '/gamma/');
    const { clientSecret } = await world.ops.createClient({ tenant: 'gamma', clientId: 'gamma-app', redirectUris: [redirectUri], firstParty: true });
    gamma = await relyingParty(world.issuer('gamma'), 'gamma-app', clientSecret!, redirectUri);
  }, 30_000);
  afterAll(async () => world.stop());

  it("shows jill's failed support logins under --who 'jill$*' and --actor management/jill, without --tenant", async () => {
    expect(await signIn(acme, 'jill$john', 'not-her-password')).toMatchObject({ ok: false, status: 401, error: 'Invalid username or password' });
    expect(await signIn(gamma, 'jill$gus', 'jill-secret-pw')).toMatchObject({ ok: false, status: 401, error: 'not permitted for this tenant' });
    expect(await signIn(acme, 'ghost$john', 'whatever-password')).toMatchObject({ ok: false, status: 401 });
    const jill = await userParty('management', 'jill');
    const expected = [
      { tenant: 'gamma', who: 'jill$gus', actor: jill, outcome: 'failure', cause: 'not-in-scope' },
      { tenant: 'acme', who: 'jill$john', actor: jill, outcome: 'failure', cause: 'support user: wrong-password' },
    ];
    expect(await entries({ who: 'jill$*', action: 'login.failed' })).toMatchObject(expected);
    expect(await entries({ actor: 'management/jill', outcome: 'failure' })).toMatchObject(expected);
    // An unknown support user names nobody.
    const [ghost] = await entries({ tenant: 'acme', who: 'ghost$john' });
    expect(ghost).toMatchObject({ actor: null, subject: null, cause: 'support user: unknown-user' });
  });

  it('records an ordinary failed login of an existing user with that user as actor and subject', async () => {
    expect(await signIn(acme, 'john', 'wrong-password')).toMatchObject({ ok: false, status: 401 });
    const john = await userParty('acme', 'john');
    const [failed] = await entries({ tenant: 'acme', action: 'login.failed', subject: 'john' });
    expect(failed).toMatchObject({ who: 'john', actor: john, subject: john, cause: 'wrong-password' });
  });
});
