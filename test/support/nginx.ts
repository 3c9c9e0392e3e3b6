import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answers, freePort, pidFileIs } from './ports.js';

/**
 * A real nginx in front of the gateway, doing forward auth with `auth_request` the way an
 * operator would (SPEC §5): every request first goes to the gateway's `/auth/verify` as a
 * subrequest; 2xx lets it through to the upstream with the identity headers the gateway
 * answered, 401/403 stop it there. Needs Debian's nginx (scripts/install-system-deps.sh).
 *
 * nginx runs as a child of the test, unprivileged-friendly: its own config, pid, logs and temp
 * dirs in a fresh temp dir, `daemon off` and `master_process off`, listening on a free loopback
 * port. The system nginx service is never used.
 */

export const NGINX_BIN = '/usr/sbin/nginx';

/** The identity headers the gateway answers on /auth/verify that nginx passes to the upstream. */
export const FORWARDED_IDENTITY_HEADERS = ['X-Auth-User', 'X-Auth-Tenant', 'X-Auth-Actor', 'X-Auth-Audit-Name', 'X-Auth-Token'] as const;

export interface NginxConfigOptions {
  /** Where the gateway listens, as nginx should reach it (`127.0.0.1:3000`, `gateway:3000`). */
  gateway: string;
  /** The protected application behind nginx (`127.0.0.1:8080`, `app:8080`). */
  upstream: string;
  /** `listen` argument (`127.0.0.1:8443`, `80`). */
  listen: string;
  /**
   * The gateway's public URL (`https://login.example.com`). When given, a 401 from /auth/verify
   * becomes a 302 to `<signinUrl>/auth/signin?rd=<original URL>`; when absent the 401 passes
   * through (what an API client wants).
   */
  signinUrl?: string;
  /**
   * Directory for pid, logs and temp files. When given, the config is a whole nginx.conf for a
   * private nginx (the tests); when absent, it is only the `server { ... }` block to drop into
   * an existing nginx's `http { }` (the README).
   */
  prefix?: string;
}

/** `X-Auth-User` -> `$auth_user`, `X-Auth-Audit-Name` -> `$auth_audit_name`. */
function variableOf(header: string): string {
  return header.replace(/^X-/, '').toLowerCase().replaceAll('-', '_');
}

/** The forward-auth server block (and, with `prefix`, the whole nginx.conf around it). */
export function nginxConfig(opts: NginxConfigOptions): string {
  if (opts.signinUrl !== undefined && !/^https?:\/\/[^\s;{}"'$]+$/.test(opts.signinUrl)) {
    throw new Error(`signinUrl must be a plain http(s) URL: ${JSON.stringify(opts.signinUrl)}`);
  }
  const setFromVerify = FORWARDED_IDENTITY_HEADERS.map(
    (h) => `      auth_request_set $${variableOf(h)} $upstream_http_${h.toLowerCase().replaceAll('-', '_')};`,
  );
  const passToUpstream = FORWARDED_IDENTITY_HEADERS.map((h) => `      proxy_set_header ${h} $${variableOf(h)};`);
  const signin = opts.signinUrl?.replace(/\/+$/, '');
  const server = [
    `  server {`,
    `    listen ${opts.listen};`,
    ``,
    `    location / {`,
    `      auth_request /_sg_verify;`,
    ...setFromVerify,
    // The client cannot smuggle its own X-Auth-*: each is set here, empty when the gateway sent none.
    ...passToUpstream,
    ...(signin === undefined ? [] : [`      error_page 401 = @signin;`]),
    `      proxy_set_header Host $host;`,
    `      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`,
    `      proxy_set_header X-Forwarded-Proto $scheme;`,
    `      proxy_pass http://${opts.upstream};`,
    `    }`,
    ``,
    `    location = /_sg_verify {`,
    `      internal;`,
    // The subrequest carries the client's headers (Authorization, Cookie) as nginx proxies them by default.
    `      proxy_pass http://${opts.gateway}/auth/verify;`,
    `      proxy_pass_request_body off;`,
    `      proxy_set_header Content-Length "";`,
    `      proxy_set_header X-Forwarded-Method $request_method;`,
    `      proxy_set_header X-Forwarded-Uri $request_uri;`,
    `      proxy_set_header X-Forwarded-Host $http_host;`,
    `      proxy_set_header X-Forwarded-Proto $scheme;`,
    `      proxy_set_header X-Forwarded-For $remote_addr;`,
    `    }`,
    // The end of a browser sign-in and the sign-out happen on the app's host: its cookie lives there.
    ...[`complete`, `signout`].flatMap((step) => [
      ``,
      `    location = /auth/${step} {`,
      `      proxy_pass http://${opts.gateway};`,
      `      proxy_set_header X-Forwarded-Host $http_host;`,
      `      proxy_set_header X-Forwarded-Proto $scheme;`,
      `      proxy_set_header X-Forwarded-For $remote_addr;`,
      `    }`,
    ]),
    ...(signin === undefined
      ? []
      : [``, `    location @signin {`, `      return 302 ${signin}/auth/signin?rd=$scheme://$http_host$request_uri;`, `    }`]),
    `  }`,
  ];
  if (opts.prefix === undefined) return server.map((l) => l.replace(/^ {2}/, '')).join('\n') + '\n';
  return privateNginxConfig(opts.prefix, server);
}

/**
 * A whole nginx.conf for a private nginx of the tests: one process in the foreground, pid, logs
 * and temp files under `prefix`, and `http` holding `blocks` (after `httpPreamble`, e.g. a log format).
 */
export function privateNginxConfig(prefix: string, blocks: string[], opts: { httpPreamble?: string[]; accessLogFormat?: string } = {}): string {
  const p = prefix;
  return [
    `daemon off;`,
    // One process: round robin is kept per worker, so one worker alternates strictly.
    `master_process off;`,
    `worker_processes 1;`,
    `pid ${p}/nginx.pid;`,
    `error_log ${p}/error.log info;`,
    ``,
    `events {`,
    `  worker_connections 1024;`,
    `}`,
    ``,
    `http {`,
    ...(opts.httpPreamble ?? []),
    `  access_log ${p}/access.log${opts.accessLogFormat ? ` ${opts.accessLogFormat}` : ''};`,
    `  client_body_temp_path ${p}/client_body;`,
    `  proxy_temp_path ${p}/proxy;`,
    `  fastcgi_temp_path ${p}/fastcgi;`,
    `  uwsgi_temp_path ${p}/uwsgi;`,
    `  scgi_temp_path ${p}/scgi;`,
    ``,
    ...blocks,
    `}`,
    ``,
  ].join('\n');
}

export interface NginxOptions {
  gatewayPort: number;
  upstreamPort: number;
  /** Defaults to a free loopback port. */
  port?: number;
  /** See `NginxConfigOptions.signinUrl`. */
  signinUrl?: string;
}

export interface RunningNginx {
  url: string;
  port: number;
  /** The config this nginx runs. */
  config: string;
  stop(): Promise<void>;
  /** nginx's access and error logs and its output so far, for a failing test's message. */
  log(): string;
}

export function requireNginx(): void {
  if (!existsSync(NGINX_BIN)) {
    throw new Error(`${NGINX_BIN} is not installed: run scripts/install-system-deps.sh (the README test command does)`);
  }
}



/** A fresh prefix directory for a private nginx, with the temp folders its config names. */
export function nginxPrefix(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sg-${name}-`));
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  return dir;
}

/**
 * Runs nginx with `config` (written under `dir`) until it listens on `port`; `stop` ends it
 * gracefully (SIGQUIT: in-flight requests finish) and removes `dir`.
 */
export async function runPrivateNginx(dir: string, port: number, config: string): Promise<RunningNginx> {
  const confPath = join(dir, 'nginx.conf');
  writeFileSync(confPath, config);

  let output = '';
  const child: ChildProcess = spawn(NGINX_BIN, ['-p', dir, '-c', confPath, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (err) => (output += `spawn failed: ${err.message}\n`));

  const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '');
  const log = () => `${read('access.log')}${output}${read('error.log')}`;

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGQUIT'); // graceful: finish in-flight requests, then exit
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 5000;
  while (!(pidFileIs(join(dir, 'nginx.pid'), child.pid) && (await answers(port)))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      const why = child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : 'did not answer within 5000 ms';
      const said = log();
      await stop();
      throw new Error(`nginx on 127.0.0.1:${port} ${why}; it said:\n${said}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { url: `http://127.0.0.1:${port}`, port, config, stop, log };
}

export async function startNginx(opts: NginxOptions): Promise<RunningNginx> {
  requireNginx();
  const port = opts.port ?? (await freePort());
  const dir = nginxPrefix('nginx');
  const config = nginxConfig({
    gateway: `127.0.0.1:${opts.gatewayPort}`,
    upstream: `127.0.0.1:${opts.upstreamPort}`,
    listen: `127.0.0.1:${port}`,
    signinUrl: opts.signinUrl,
    prefix: dir,
  });
  return runPrivateNginx(dir, port, config);
}
