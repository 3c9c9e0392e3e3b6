import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { Browser, relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { oidcWorld, type OidcWorld } from './setup.js';

// Behind a proxy (TRUST_PROXY names it), a client's own X-Forwarded-* headers must neither
// rewrite the issuer's URLs nor choose the address the audit records.
describe('forwarded headers behind a named proxy', () => {
  let world: OidcWorld;
  let acme: RelyingParty;

  beforeAll(async () => {
    world = await oidcWorld('oidc-forwarded', { TRUST_PROXY: 'loopback' });
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
  }, 30_000);
  afterAll(async () => world.stop());

  it('every discovery URL comes from PUBLIC_URL, whatever X-Forwarded-Host and -Proto say', async () => {
    const res = await fetch(`${world.issuer('acme')}/.well-known/openid-configuration`, {
      headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', forwarded: 'host=evil.example;proto=https' },
    });
    const discovery = (await res.json()) as Record<string, unknown>;
    expect(discovery.issuer).toBe(world.issuer('acme'));
    const urls = Object.entries(discovery).filter(([k, v]) => k.endsWith('_endpoint') || k === 'jwks_uri' ? typeof v === 'string' : false);
    expect(urls.length).toBeGreaterThanOrEqual(6);
    for (const [, url] of urls) expect(String(url).startsWith(`${world.issuer('acme')}/`)).toBe(true);
  });

  it('the audit records the address the named proxy saw, not the leftmost X-Forwarded-For', async () => {
    // The client claims 6.6.6.6; the (loopback) proxy appended the address it really saw.
    const forwarded = { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' };
    const browser = new Browser();
    const request = browser.request.bind(browser);
    browser.request = (url, init = {}) => request(url, { ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), ...forwarded } });
    const login = await signIn(acme, 'john', 'john-secret-pw', { browser });
    if (!login.ok) throw new Error(login.error);
    const sub = login.tokens.claims()!.sub;
    const res = await fetch(acme.config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${login.tokens.access_token}`, ...forwarded } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { sub: string }).sub).toBe(sub);
    const { queryPage } = await import('../../src/audit/query.js');
    const d = world.gateway.domain;
    const entries = (await queryPage({ audit: d.auditStore, tenants: d.tenants, users: d.users }, { tenant: 'acme', who: 'john' }, 20)).entries;
    const byAction = Object.fromEntries(entries.map((e) => [e.action, e.clientAddress]));
    expect(byAction['login.succeeded']).toBe('203.0.113.7');
    expect(byAction['userinfo.read']).toBe('203.0.113.7');
    expect(entries.some((e) => e.clientAddress === '6.6.6.6')).toBe(false);
  });

  it('without a trusted proxy, X-Forwarded-For is ignored', async () => {
    const plain = await oidcWorld('oidc-forwarded-none');
    try {
      const rp = await relyingParty(plain.issuer('acme'), plain.clients.acme!.id, plain.clients.acme!.secret, plain.clients.acme!.redirectUri);
      const login = await signIn(rp, 'john', 'john-secret-pw');
      if (!login.ok) throw new Error(login.error);
      await client.fetchUserInfo(rp.config, login.tokens.access_token, login.tokens.claims()!.sub);
      const res = await fetch(rp.config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${login.tokens.access_token}`, 'x-forwarded-for': '6.6.6.6' } });
      expect(res.status).toBe(200);
      const { queryPage } = await import('../../src/audit/query.js');
      const d = plain.gateway.domain;
      const entries = (await queryPage({ audit: d.auditStore, tenants: d.tenants, users: d.users }, { tenant: 'acme', action: 'userinfo.read' }, 20)).entries;
      expect(entries).toHaveLength(2);
      for (const e of entries) expect(e.clientAddress).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
    } finally {
      await plain.stop();
    }
  });
});
