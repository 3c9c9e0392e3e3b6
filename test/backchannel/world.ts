import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { operatorAdmin, type Admin } from '../../src/admin/index.js';
import { queryPage } from '../../src/audit/query.js';
import type { AuditEntry } from '../../src/audit/entry.js';
import type { Clock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/main.js';
import { relyingParty, type Browser, type RelyingParty } from '../../bench/oidc-client.js';
import { testConfig } from '../support/env.js';
import { freePort } from '../support/ports.js';

/** What an app's back-channel endpoint answers: 200, a failure status, or a redirect elsewhere. */
export type Answer = { status: number; location?: string };

export interface Received {
  path: string;
  contentType: string | undefined;
  /** The form's logout_token. */
  token: string;
  claims: JWTPayload;
  header: Record<string, unknown>;
}

/**
 * The relying parties' back-channel logout endpoints: a real HTTP server on a loopback port.
 * Each path answers from its own script of answers (the last one repeats), default 200.
 */
export class LogoutReceiver {
  readonly received: Received[] = [];
  /** Every request, whatever it was (a followed redirect would show up here). */
  readonly requests: string[] = [];
  private readonly scripts = new Map<string, Answer[]>();
  private server: Server | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req).then((a) => res.writeHead(a.status, a.location ? { location: a.location } : {}).end()));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  uri(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The answers `path` gives from now on, in order; the last repeats. */
  answer(path: string, ...answers: Answer[]): void {
    this.scripts.set(path, answers);
  }

  to(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  private async handle(req: IncomingMessage): Promise<Answer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = new URL(req.url!, 'http://x').pathname;
    this.requests.push(`${req.method} ${path}`);
    const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('logout_token');
    if (req.method === 'POST' && token) {
      this.received.push({ path, contentType: req.headers['content-type'], token, claims: decodeJwt(token), header: decodeProtectedHeader(token) as Record<string, unknown> });
    }
    const script = this.scripts.get(path) ?? [{ status: 200 }];
    return script.length > 1 ? script.shift()! : script[0]!;
  }
}

export interface BackchannelWorld {
  config: Config;
  gateway: Gateway;
  ops: Admin;
  receiver: LogoutReceiver;
  issuer: (tenant: string) => string;
  /** acme's apps: app1 and app2 with back-channel URIs at /app1 and /app2, plain without one. */
  apps: Record<'app1' | 'app2' | 'plain', RelyingParty>;
  entries(filter: { action: string; who?: string }): Promise<AuditEntry[]>;
  /** Verifies a Logout Token against the issuer's JWKS, as an app would. */
  verify(token: string, audience: string): Promise<JWTPayload>;
  stop(): Promise<void>;
}

export const pw = (u: string) => `${u}-secret-pw`;

/** Polls `check` until it returns a value (not undefined/false); fails after `ms`. */
export async function until<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, ms = 15_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A gateway with tenant acme (john, admin), support user jill, and three first-party apps of acme. */
export async function backchannelWorld(
  name: string,
  opts: { env?: Record<string, string>; gateway?: GatewayOptions; receiver?: LogoutReceiver; config?: Config; seed?: boolean } = {},
): Promise<BackchannelWorld> {
  const receiver = opts.receiver ?? new LogoutReceiver();
  if (!opts.receiver) await receiver.start();
  const port = await freePort();
  const config = opts.config ?? testConfig(name, { PORT: String(port), PUBLIC_URL: `http://localhost:${port}`, ...opts.env });
  const gateway = await startGateway(config, { logger: createLogger({ logLevel: 'error', logFormat: 'json' }, new PassThrough()), ...opts.gateway });
  for (let i = 0; i < 100 && (await fetch(`${gateway.url}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
  const ops = operatorAdmin(gateway.domain, { who: 'cli:test', actor: null, channel: 'cli' });
  const base = config.publicUrl;
  const redirect = (app: string) => `http://localhost:${config.port + 1}/${app}/callback`;
  const secrets: Record<string, string> = {};
  if (opts.seed !== false) {
    await ops.createTenant({ id: 'acme' });
    await ops.createUser({ tenant: 'acme', username: 'john', password: pw('john') });
    await ops.createUser({ tenant: 'acme', username: 'admin', password: pw('admin'), roles: ['tenant-admin'] });
    await ops.createUser({ tenant: 'management', username: 'jill', password: pw('jill'), roles: ['support'], scope: ['acme'] });
    for (const app of ['app1', 'app2', 'plain']) {
      const { clientSecret } = await ops.createClient({
        tenant: 'acme',
        clientId: app,
        redirectUris: [redirect(app)],
        postLogoutRedirectUris: [`http://localhost:${config.port + 1}/${app}/bye`],
        firstParty: true,
        ...(app === 'plain' ? {} : { backchannelLogoutUri: receiver.uri(`/${app}`), backchannelLogoutSessionRequired: app === 'app1' }),
      });
      secrets[app] = clientSecret!;
    }
  } else {
    for (const app of ['app1', 'app2', 'plain']) secrets[app] = (await gateway.domain.secretBox.open((await gateway.domain.clients.get('acme', app))!.sealedSecret!))!;
  }
  const issuer = (t: string) => `${base}/t/${t}`;
  const apps = {
    app1: await relyingParty(issuer('acme'), 'app1', secrets.app1!, redirect('app1')),
    app2: await relyingParty(issuer('acme'), 'app2', secrets.app2!, redirect('app2')),
    plain: await relyingParty(issuer('acme'), 'plain', secrets.plain!, redirect('plain')),
  };
  const jwks = createRemoteJWKSet(new URL(`${issuer('acme')}/jwks`));
  const d = gateway.domain;
  return {
    config,
    gateway,
    ops,
    receiver,
    issuer,
    apps,
    entries: async (filter) => (await queryPage({ audit: d.auditStore, tenants: d.tenants, users: d.users }, { tenant: 'acme', ...filter }, 200)).entries,
    verify: async (token, audience) => (await jwtVerify(token, jwks, { issuer: issuer('acme'), audience, typ: 'logout+jwt' })).payload,
    stop: async () => {
      await gateway.stop();
      if (!opts.receiver) await receiver.stop();
    },
  };
}

/** RP-initiated logout as the browser does it: the end-session page, then its form's "Sign out" (logout=yes). */
export async function signOut(rp: RelyingParty, browser: Browser, idToken: string): Promise<Response> {
  const endpoint = new URL(rp.config.serverMetadata().end_session_endpoint!);
  endpoint.searchParams.set('id_token_hint', idToken);
  const page = await browser.request(endpoint.toString());
  const html = await page.text();
  const action = /<form id="op\.logoutForm" method="post" action="([^"]+)"/.exec(html)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !xsrf) throw new Error(`no logout form (status ${page.status})`);
  return browser.request(new URL(action.replace(/&amp;/g, '&'), endpoint).toString(), {
    method: 'POST',
    body: new URLSearchParams({ xsrf, logout: 'yes' }),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

export type { Clock };
