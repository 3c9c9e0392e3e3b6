import * as client from 'openid-client';
import { Browser } from '../../bench/oidc-client.js';

/**
 * The raw protocol steps the isolation matrix takes, each with its own plain fetch: a token
 * obtained at one issuer can then be presented to any other issuer, with any client's
 * credentials, exactly as an attacker holding it could.
 */

export interface AppClient {
  id: string;
  secret: string;
  redirectUri: string;
}

/** A browser seen at its own client address (the world trusts the loopback proxy), so no two share a sign-in limit. */
export class AgentAt extends Browser {
  private static next = 1;
  private readonly address = `10.77.${Math.floor(AgentAt.next / 250) % 250}.${(AgentAt.next++ % 250) + 1}`;

  override async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('x-forwarded-for', this.address);
    return super.request(url, { ...init, headers });
  }
}

/** What a sign-in ended in: a code handed to the app, or the refusal a person saw. */
export type Authorized =
  | { ok: true; code: string; verifier: string; app: AppClient; issuer: string; browser: AgentAt }
  | { ok: false; why: string };

/**
 * Authorization request (code + PKCE) at `issuer` for `app`, then the login screen, up to the
 * callback: the code is returned unexchanged. `tenantField` overrides the Tenant ID field.
 */
export async function authorize(issuer: string, app: AppClient, username: string, password: string, tenantField?: string): Promise<Authorized> {
  const browser = new AgentAt();
  const verifier = client.randomPKCECodeVerifier();
  const url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: app.id,
    response_type: 'code',
    redirect_uri: app.redirectUri,
    scope: 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: client.randomState(),
  }).toString();
  let step = await browser.follow(url.toString(), app.redirectUri);
  if (!step.url.startsWith(app.redirectUri)) {
    const html = await step.res.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    const tenant = /id="tenant" name="tenant" value="([^"]*)"/.exec(html)?.[1] ?? '';
    if (!action || !csrf) return { ok: false, why: `no login form (${step.res.status}: ${pageMessage(html)})` };
    const body = new URLSearchParams({ csrf, tenant: tenantField ?? tenant, username, password });
    step = await browser.follow(new URL(action.replace(/&amp;/g, '&'), step.url).toString(), app.redirectUri, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    if (!step.url.startsWith(app.redirectUri)) return { ok: false, why: `${step.res.status}: ${pageMessage(await step.res.text())}` };
  }
  const back = new URL(step.url).searchParams;
  const code = back.get('code');
  if (!code) return { ok: false, why: `callback with ${back.get('error') ?? 'no code'}` };
  return { ok: true, code, verifier, app, issuer, browser };
}

/** The message a page shows a person: the login form's alert, else the page's first paragraph. */
export function pageMessage(html: string): string {
  const alert = /role="alert">([^<]*)</.exec(html)?.[1];
  if (alert) return alert;
  const h1 = /<h1>([^<]*)<\/h1>\s*<p>([^<]*)<\/p>/.exec(html);
  return h1 ? `${h1[1]}: ${h1[2]}` : html.slice(0, 80);
}

const basic = (c: { id: string; secret: string }) =>
  `Basic ${Buffer.from(`${encodeURIComponent(c.id)}:${encodeURIComponent(c.secret)}`).toString('base64')}`;

/** What one use of a token answered: passed (the endpoint honoured it) and what it said. */
export interface Use {
  passed: boolean;
  said: string;
}

async function oauthAnswer(res: Response, passed: (body: Record<string, unknown>) => boolean): Promise<Use & { body: Record<string, unknown> }> {
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON: said below */
  }
  const ok = res.status === 200 && passed(body);
  const said = ok ? `${res.status}` : `${res.status} ${String(body.error ?? (text.slice(0, 60) || 'empty'))}`;
  return { passed: ok, said, body };
}

export async function exchangeCode(issuer: string, as: AppClient, code: string, verifier: string, redirectUri: string): Promise<Use> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic(as), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri }),
  });
  return oauthAnswer(res, (b) => typeof b.access_token === 'string');
}

export async function tokensFor(issuer: string, as: AppClient, a: Authorized & { ok: true }): Promise<{ access_token: string; refresh_token: string }> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic(as), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: a.code, code_verifier: a.verifier, redirect_uri: as.redirectUri }),
  });
  const body = (await res.json()) as { access_token?: string; refresh_token?: string; error?: string };
  if (!body.access_token || !body.refresh_token) throw new Error(`no tokens at ${issuer}: ${res.status} ${body.error}`);
  return { access_token: body.access_token, refresh_token: body.refresh_token };
}

export async function refresh(issuer: string, as: AppClient, refreshToken: string): Promise<Use> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic(as), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return oauthAnswer(res, (b) => typeof b.access_token === 'string');
}

export async function userinfo(issuer: string, accessToken: string): Promise<Use> {
  const res = await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  return oauthAnswer(res, (b) => typeof b.sub === 'string');
}

export async function introspect(issuer: string, as: AppClient, token: string): Promise<Use> {
  const res = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: basic(as), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  const answer = await oauthAnswer(res, (b) => b.active === true);
  return answer.passed || res.status !== 200 ? answer : { passed: false, said: 'active: false' };
}

/** Runs `work` over `items`, at most `limit` at a time (two cores: keep the gateway responsive). */
export async function bounded<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
