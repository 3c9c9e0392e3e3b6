import * as client from 'openid-client';

/**
 * A scripted user agent for the tenant login screen: follows redirects by hand, keeps cookies,
 * reads the form's CSRF field and posts the three fields a person would type. The relying party
 * side is openid-client, as a real tenant app would use it.
 */
export class Browser {
  private readonly cookies = new Map<string, string>();

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** Follows redirects until one leaves for `stopAt` (the app's callback) or a page is shown. */
  async follow(url: string, stopAt: string, init?: RequestInit): Promise<{ url: string; res: Response }> {
    let current = url;
    let res = await this.request(current, init);
    for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i++) {
      current = new URL(res.headers.get('location')!, current).toString();
      if (current.startsWith(stopAt)) return { url: current, res };
      res = await this.request(current);
    }
    return { url: current, res };
  }
}

export interface RelyingParty {
  config: client.Configuration;
  redirectUri: string;
}

export async function relyingParty(issuer: string, clientId: string, clientSecret: string, redirectUri: string): Promise<RelyingParty> {
  // The gateway's confidential clients are registered for client_secret_basic (openid-client's default would be post).
  const config = await client.discovery(new URL(issuer), clientId, clientSecret, client.ClientSecretBasic(clientSecret), { execute: [client.allowInsecureRequests] });
  return { config, redirectUri };
}

export type LoginResult =
  | { ok: true; tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers; browser: Browser }
  | { ok: false; status: number; error: string; page: string; browser: Browser };

/** The whole code + PKCE flow: authorization request, login screen, callback, code exchange. */
export async function signIn(rp: RelyingParty, username: string, password: string, opts: { tenantField?: string; browser?: Browser; scope?: string } = {}): Promise<LoginResult> {
  const browser = opts.browser ?? new Browser();
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authUrl = client.buildAuthorizationUrl(rp.config, {
    redirect_uri: rp.redirectUri,
    scope: opts.scope ?? 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  let step = await browser.follow(authUrl.toString(), rp.redirectUri);
  if (!step.url.startsWith(rp.redirectUri)) {
    const html = await step.res.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    const tenant = /id="tenant" name="tenant" value="([^"]*)"/.exec(html)?.[1] ?? '';
    if (!action || !csrf) return { ok: false, status: step.res.status, error: 'no login form', page: html, browser };
    const body = new URLSearchParams({ csrf, tenant: opts.tenantField ?? tenant, username, password });
    step = await browser.follow(new URL(action.replace(/&amp;/g, '&'), step.url).toString(), rp.redirectUri, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    if (!step.url.startsWith(rp.redirectUri)) {
      const page = await step.res.text();
      const error = /role="alert">([^<]*)</.exec(page)?.[1] ?? `status ${step.res.status}`;
      return { ok: false, status: step.res.status, error, page, browser };
    }
  }
  const tokens = await client.authorizationCodeGrant(rp.config, new URL(step.url), { pkceCodeVerifier: verifier, expectedState: state });
  return { ok: true, tokens, browser };
}
