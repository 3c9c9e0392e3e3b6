import * as client from 'openid-client';
import { Browser, type RelyingParty } from '../../bench/oidc-client.js';

/**
 * A browser seen by the gateway at `address`: every request says X-Forwarded-For, which the
 * gateway believes because the test world trusts the loopback proxy (TRUST_PROXY=loopback).
 */
export class BrowserAt extends Browser {
  constructor(private readonly address: string) {
    super();
  }

  override async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('x-forwarded-for', this.address);
    return super.request(url, { ...init, headers });
  }
}

/** The login form of one fresh interaction: where it posts and its CSRF token, for direct POSTs. */
export async function openLoginForm(rp: RelyingParty, browser: Browser): Promise<{ action: string; csrf: string }> {
  const url = client.buildAuthorizationUrl(rp.config, {
    redirect_uri: rp.redirectUri,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const { url: pageUrl, res } = await browser.follow(url.toString(), rp.redirectUri);
  const html = await res.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !csrf) throw new Error(`no login form (status ${res.status})`);
  return { action: new URL(action.replace(/&amp;/g, '&'), pageUrl).toString(), csrf };
}

/**
 * Posts the login form as a browser would (urlencoded), seen at `from` when given, and returns the
 * status and the page's alert.
 */
export async function postLogin(
  browser: Browser,
  form: { action: string; csrf: string },
  fields: { tenant: string; username: string; password: string },
  from?: string,
): Promise<{ status: number; error: string | null }> {
  const res = await browser.request(form.action, {
    method: 'POST',
    body: new URLSearchParams({ csrf: form.csrf, ...fields }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(from ? { 'x-forwarded-for': from } : {}) },
  });
  const page = await res.text();
  return { status: res.status, error: /role="alert">([^<]*)</.exec(page)?.[1] ?? null };
}
