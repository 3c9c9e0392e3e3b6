import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Browser, relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { openLoginForm } from './from-address.js';
import { oidcWorld, type OidcWorld } from './setup.js';

describe('the login POST accepts the sign-in form only', () => {
  let world: OidcWorld;
  let acme: RelyingParty;
  let browser: Browser;
  let form: { action: string; csrf: string };

  beforeAll(async () => {
    world = await oidcWorld('oidc-login-form');
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
    browser = new Browser();
    form = await openLoginForm(acme, browser);
  }, 30_000);
  afterAll(async () => world.stop());

  const fields = () => ({ csrf: form.csrf, tenant: 'acme', username: 'john', password: 'john-secret-pw' });
  const multipart = () => {
    const data = new FormData();
    for (const [k, v] of Object.entries(fields())) data.append(k, v);
    return data;
  };

  it.each<[string, () => RequestInit]>([
    ['JSON', () => ({ body: JSON.stringify(fields()), headers: { 'content-type': 'application/json' } })],
    ['XML', () => ({ body: `<login><csrf>${form.csrf}</csrf><username>john</username><password>john-secret-pw</password></login>`, headers: { 'content-type': 'application/xml' } })],
    ['multipart', () => ({ body: multipart() })],
    ['text/plain', () => ({ body: new URLSearchParams(fields()).toString(), headers: { 'content-type': 'text/plain' } })],
    ['no content type', () => ({ body: new TextEncoder().encode(new URLSearchParams(fields()).toString()) })],
    ['no body at all', () => ({})],
  ])('answers a %s body with 415 and a page saying the form must be sent as a form', async (_label, init) => {
    const res = await browser.request(form.action, { method: 'POST', ...init() });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('The sign-in form must be sent as a form');
  });

  it('answers the consent form posted as JSON with 415 too, not a server error', async () => {
    const res = await browser.request(form.action.replace(/\/login$/, '/consent'), { method: 'POST', body: JSON.stringify({ csrf: form.csrf, decision: 'allow' }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(415);
    expect(await res.text()).toContain('The consent form must be sent as a form');
  });

  const formWith = (edit: (body: URLSearchParams) => void) => {
    const body = new URLSearchParams(fields());
    edit(body);
    return body;
  };

  it.each<[string, () => URLSearchParams]>([
    ['without a password', () => formWith((b) => b.delete('password'))],
    ['with a username of 5000 characters', () => formWith((b) => b.set('username', 'j'.repeat(5000)))],
    ['with the username twice', () => formWith((b) => b.append('username', 'admin'))],
  ])('answers a form %s with 400, not a sign-in attempt', async (_label, body) => {
    const res = await browser.request(form.action, { method: 'POST', body: body(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('The sign-in form was incomplete or not valid');
  });

  it('still signs john in with a proper form', async () => {
    expect((await signIn(acme, 'john', 'john-secret-pw')).ok).toBe(true);
  });
});
