import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { OidcWorld } from '../oidc/setup.js';
import { forwardAuthWorld, SHOP_HOST } from './world.js';

/**
 * What the upstream app gets besides headers: X-Auth-Token, a JWT it verifies with the tenant
 * issuer's JWKS (FORWARD_AUTH_TOKEN_SECONDS); and a proxy that names the tenant in a header
 * (FORWARD_AUTH_TENANT_HEADER) instead of serving it on the tenant's domain.
 */
describe('forward-auth for the upstream app', () => {
  let world: OidcWorld;
  let john: string;
  let jill: string;
  let bea: string;

  const verify = (token: string, extra: Record<string, string> = {}) =>
    fetch(`${world.url}/auth/verify`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/orders', 'x-forwarded-host': SHOP_HOST, 'x-forwarded-proto': 'https', ...extra } });

  /** Verifies as an app would: the issuer's discovery names the JWKS; the audience is the app's origin. */
  async function verified(jwt: string) {
    const discovery = (await (await fetch(`${world.issuer('shop')}/.well-known/openid-configuration`)).json()) as { jwks_uri: string; issuer: string };
    return jwtVerify(jwt, createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer: discovery.issuer, audience: `https://${SHOP_HOST}` });
  }

  beforeAll(async () => {
    ({ world, john, jill, bea } = await forwardAuthWorld('forward-auth-upstream', { FORWARD_AUTH_TOKEN_SECONDS: '60', FORWARD_AUTH_TENANT_HEADER: 'X-Supportgate-Tenant' }));
  }, 60_000);
  afterAll(async () => {
    await world?.stop();
  });

  it("john's X-Auth-Token verifies with shop's JWKS, for the app's origin, and carries no act", async () => {
    const a = await verify(john);
    expect(a.status).toBe(200);
    const jwt = a.headers.get('x-auth-token')!;
    const { payload } = await verified(jwt);
    const johnId = (await world.gateway.domain.users.findByUsername('shop', 'john'))!.id;
    expect(payload).toMatchObject({ sub: johnId, preferred_username: 'john', tenant: 'shop' });
    expect(payload.act).toBeUndefined();
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60);
    expect(decodeProtectedHeader(jwt).kid).toBeTruthy();
    // Another app's origin is another audience: this token is not for it.
    await expect(jwtVerify(jwt, createRemoteJWKSet(new URL(`${world.issuer('shop')}/jwks`)), { audience: 'https://other.example.test' })).rejects.toThrow();
  });

  it("jill's carries both identities: sub john, act jill", async () => {
    const b = await verify(jill);
    expect(b.status).toBe(200);
    const { payload } = await verified(b.headers.get('x-auth-token')!);
    const jillId = (await world.gateway.domain.users.findByUsername('management', 'jill'))!.id;
    expect(payload).toMatchObject({ preferred_username: 'john', tenant: 'shop', act: { sub: jillId, preferred_username: 'jill', tenant: 'management' } });
  });

  it('a refused request carries no token', async () => {
    const c = await verify(bea);
    expect(c.status).toBe(401);
    expect(c.headers.get('x-auth-token')).toBeNull();
    expect(c.headers.get('x-auth-user')).toBeNull();
  });

  it('the tenant header names the tenant on a host of none; a token of another tenant, the management tenant or an unknown one is 401', async () => {
    const onAnyHost = (token: string, tenant: string) => verify(token, { 'x-forwarded-host': 'apps.example.test', 'x-supportgate-tenant': tenant });
    const named = await onAnyHost(john, 'shop');
    expect(named.status).toBe(200);
    expect(named.headers.get('x-auth-tenant')).toBe('shop');
    expect((await onAnyHost(john, 'mart')).status).toBe(401);
    expect((await onAnyHost(bea, 'mart')).status).toBe(200);
    expect((await onAnyHost(john, 'management')).status).toBe(401);
    expect((await onAnyHost(john, 'nope')).status).toBe(401);
    expect((await onAnyHost(john, 'Shop; x')).status).toBe(401);
    // Two values (a proxy appending to the client's) is no tenant; nor is a header naming
    // another tenant than the one whose domain the host is.
    expect((await onAnyHost(bea, 'mart, shop')).status).toBe(401);
    expect((await verify(bea, { 'x-supportgate-tenant': 'mart' })).status).toBe(401);
    expect((await verify(john, { 'x-supportgate-tenant': 'shop' })).status).toBe(200);
    // Without the header, the host decides as before.
    expect((await verify(john)).status).toBe(200);
    expect((await verify(john, { 'x-forwarded-host': 'apps.example.test' })).status).toBe(401);
  });
});
