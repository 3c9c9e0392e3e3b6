import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { queryPage } from '../../src/audit/query.js';
import { oidcKey } from '../../src/oidc/adapter.js';
import { tenantKey } from '../../src/redis/keys.js';
import { cliProcess } from '../support/cli.js';
import { keysUnder } from '../support/env.js';
import { usable, type Tokens } from './tokens.js';
import { oidcWorld, type OidcWorld } from './setup.js';

/** Polls until `done` says yes; throws after 3 s. */
async function until(what: string, done: () => Promise<boolean>): Promise<void> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > 3000) throw new Error(`${what}: not within 3 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('suspending a tenant ends every session and token in it, for good', () => {
  let world: OidcWorld;
  let acme: RelyingParty;
  let beta: RelyingParty;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    world = await oidcWorld('oidc-suspend');
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
    beta = await relyingParty(world.issuer('beta'), world.clients.beta!.id, world.clients.beta!.secret, world.clients.beta!.redirectUri);
    env = { PATH: process.env.PATH, NODE_ENV: 'test', REDIS_URL: world.config.redis.url, REDIS_PREFIX: world.config.redis.prefix, DATA_DIR: world.config.dataDir };
  }, 30_000);
  afterAll(async () => world.stop());

  const tokensOf = async (rp: RelyingParty, username: string, password: string): Promise<Tokens> => {
    const r = await signIn(rp, username, password);
    if (!r.ok) throw new Error(r.error);
    return r.tokens;
  };
  const entries = async (tenant: string, action: string) => {
    const d = world.gateway.domain;
    return (await queryPage({ audit: d.auditStore, tenants: d.tenants, users: d.users }, { tenant, action }, 50)).entries;
  };
  const discovery = async (tenant: string) => (await fetch(`${world.issuer(tenant)}/.well-known/openid-configuration`)).status;
  /** acme's oidc-provider records (sessions, grants, codes, tokens) still in Redis. */
  const acmeRecords = async () => {
    const base = `${tenantKey(world.config.redis.prefix, 'acme', 'oidc')}:`;
    return (await keysUnder(base)).filter((k) => /^[A-Z]|^grant:/.test(k.slice(base.length)));
  };

  it("ends jill$john's support session and john's own tokens; after a resume they stay dead while john signs in anew", async () => {
    await world.ops.openSupport({ tenant: 'acme', username: 'john' });
    const support = await tokensOf(acme, 'jill$john', 'jill-secret-pw');
    const john = await tokensOf(acme, 'john', 'john-secret-pw');
    const bea = await tokensOf(beta, 'bea', 'bea-secret-pw');
    expect((await client.tokenIntrospection(acme.config, john.access_token)).active).toBe(true);
    expect(await acmeRecords()).not.toEqual([]);

    // Another OS process (the CLI) suspends: the gateway hears of it over Redis.
    const suspended = await cliProcess(['tenant', 'suspend', 'acme', '--json'], env);
    expect(suspended).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(suspended.stdout)).toMatchObject({ tenant: { id: 'acme', status: 'suspended' }, changed: true });

    await until('acme issuer refuses', async () => (await discovery('acme')) === 404);
    await until('session.ended recorded', async () => (await entries('acme', 'session.ended')).length > 0);
    expect((await entries('acme', 'session.ended'))[0]).toMatchObject({ who: 'jill$john', outcome: 'success', cause: 'tenant-suspended', details: { trigger: 'tenant.suspended' } });
    await until("acme's sessions and tokens deleted", async () => (await acmeRecords()).length === 0);
    expect((await entries('acme', 'tenant.suspended'))[0]).toMatchObject({ who: expect.stringMatching(/^cli:/), channel: 'cli', outcome: 'success' });
    // Other tenants are untouched.
    expect((await client.tokenIntrospection(beta.config, bea.access_token)).active).toBe(true);

    const resumed = await cliProcess(['tenant', 'resume', 'acme'], env);
    expect(resumed).toMatchObject({ code: 0, stdout: 'resumed tenant acme: its users can sign in again\n', stderr: '' });
    await until('acme issuer answers again', async () => (await discovery('acme')) === 200);

    expect(await usable(acme, john)).toEqual({ active: false, refresh: 'invalid_grant', userinfo: '401' });
    expect(await usable(acme, support)).toEqual({ active: false, refresh: 'invalid_grant', userinfo: '401' });
    const again = await tokensOf(acme, 'john', 'john-secret-pw');
    expect((await client.tokenIntrospection(acme.config, again.access_token)).active).toBe(true);
    expect((await client.refreshTokenGrant(acme.config, again.refresh_token!)).access_token).toBeTruthy();
  }, 30_000);

  it('a suspension no gateway heard of (no event) still ends the tokens issued before it, after a resume too', async () => {
    const john = await tokensOf(acme, 'john', 'john-secret-pw');
    // Suspended and resumed straight in the store: no event reaches any gateway, nothing is swept.
    const { suspendTenant, resumeTenant } = await import('../../src/tenants/tenants.js');
    const d = world.gateway.domain;
    await suspendTenant(d, 'acme');
    await new Promise((r) => setTimeout(r, 1100));
    await resumeTenant(d, 'acme');
    await until("john's old token refused", async () => !(await client.tokenIntrospection(acme.config, john.access_token)).active);
    expect(await usable(acme, john)).toEqual({ active: false, refresh: 'invalid_grant', userinfo: '401' });
    // A new sign-in after the resume works (once the issuer answers again: without the event,
    // every gateway learns of the resume within a second).
    await until('acme issuer answers again', async () => (await discovery('acme')) === 200);
    const again = await tokensOf(acme, 'john', 'john-secret-pw');
    expect((await client.tokenIntrospection(acme.config, again.access_token)).active).toBe(true);
  });

  it('a sign-in to a suspended tenant finds no issuer; suspending it again ends what was left, and no session twice', async () => {
    await world.ops.suspendTenant('acme');
    await until('acme issuer refuses', async () => (await discovery('acme')) === 404);
    const res = await fetch(`${world.issuer('acme')}/auth?client_id=${world.clients.acme!.id}&response_type=code&scope=openid`);
    expect(res.status).toBe(404);
    await until("acme's sessions and tokens deleted", async () => (await acmeRecords()).length === 0);
    // A token a request under way wrote after the sweep (or one a missed event left).
    await world.gateway.redis.set(oidcKey(world.config.redis.prefix, 'acme', 'AccessToken', 'left-over'), JSON.stringify({ accountId: 'id-john' }), 'EX', 600);
    const ended = (await entries('acme', 'session.ended')).length;
    expect(await world.ops.suspendTenant('acme')).toMatchObject({ changed: false, tenant: { status: 'suspended' } });
    await until('the left-over token deleted', async () => (await acmeRecords()).length === 0);
    expect((await entries('acme', 'session.ended')).length).toBe(ended);
    await world.ops.resumeTenant('acme');
  });
});
