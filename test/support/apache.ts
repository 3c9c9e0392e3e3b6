import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answers, freePort, pidFileIs } from './ports.js';

/**
 * A real relying party nobody on this project wrote: Apache with Debian's mod_auth_openidc
 * (2.4.12), protecting `/app/` with `AuthType openid-connect` against a tenant issuer. Needs
 * Debian's apache2 and libapache2-mod-auth-openidc (scripts/install-system-deps.sh).
 *
 * Apache runs as a child of the test, like test/support/nginx.ts: /usr/sbin/apache2 itself (not
 * the service), `-DFOREGROUND`, its own ServerRoot, config, PidFile and logs in a fresh temp dir,
 * each app a VirtualHost on its own free loopback port. Started as root, its workers run as
 * www-data (Apache refuses to serve as root), so the temp dir is made readable for them.
 *
 * Each app's page `/app/` is an SSI page that shows what mod_auth_openidc passes the application
 * (`OIDC_CLAIM_*` environment variables, REMOTE_USER), HTML-escaped, one `<dd id="...">` each.
 */

export const APACHE_BIN = '/usr/sbin/apache2';
const MODULES_DIR = '/usr/lib/apache2/modules';

/** The identity values the page shows: the `<dd>` id, and the variable mod_auth_openidc sets. */
export const SHOWN_IDENTITY = {
  'remote-user': 'REMOTE_USER',
  sub: 'OIDC_CLAIM_sub',
  'preferred-username': 'OIDC_CLAIM_preferred_username',
  act: 'OIDC_CLAIM_act',
  tenant: 'OIDC_CLAIM_tenant',
  iss: 'OIDC_CLAIM_iss',
  sid: 'OIDC_CLAIM_sid',
  amr: 'OIDC_CLAIM_amr',
  acr: 'OIDC_CLAIM_acr',
  'access-token-expires': 'OIDC_access_token_expires',
} as const;

/** The URLs of an app on a port: register `redirectUri` (and `backchannelLogoutUri`) with the issuer. */
export function apacheAppUrls(port: number) {
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    /** The protected page showing the identity. */
    page: `${base}/app/`,
    /** mod_auth_openidc's own endpoint: the code comes back here, logout and back-channel too. */
    redirectUri: `${base}/app/redirect_uri`,
    /** OpenID Connect Back-Channel Logout 1.0 at mod_auth_openidc (POST `logout_token`). */
    backchannelLogoutUri: `${base}/app/redirect_uri?logout=backchannel`,
    /** RP-initiated logout: mod_auth_openidc ends its session, then the issuer's, and comes back to `/`. */
    logout: `${base}/app/redirect_uri?logout=${encodeURIComponent(`${base}/`)}`,
  };
}

export interface ApacheAppOptions {
  /** A short name ([a-z0-9-]): the session cookie's name and the log lines carry it. */
  name: string;
  /** The tenant's issuer (`{PUBLIC_URL}/t/acme`): discovery at `{issuer}/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The app's loopback port (its redirect URI names it, see apacheAppUrls); default: a free one. */
  port?: number;
  /** OIDCScope; default `openid profile offline_access`. */
  scope?: string;
  /**
   * OIDCRefreshAccessTokenBeforeExpiry; default 3598 s with logout_on_error: the gateway's access
   * tokens live 3600 s, so every request more than 2 s after the last token refreshes it, and a
   * refresh the issuer refuses signs the user out of the app. null: no refresh.
   */
  refreshBeforeExpiry?: { seconds: number; logoutOnError: boolean } | null;
  /** OIDCProviderAuthRequestMethod; default GET. POST sends the authorization request as an auto-submitted form. */
  authRequestMethod?: 'GET' | 'POST';
  /** OIDCProviderTokenEndpointAuth; default client_secret_basic (what the client is registered with). */
  tokenEndpointAuth?: 'client_secret_basic' | 'client_secret_post';
  /**
   * For back-channel logout: mod_auth_openidc finds the session a Logout Token names (`sid`, else
   * `sub`, with the issuer) only in a server-side session cache, so sessions are `server-cache` in
   * shared memory (shared by this Apache's processes; another Apache has its own). That is also the
   * default, so this only says so in the config; register apacheAppUrls(port).backchannelLogoutUri.
   * The module reads `backchannel_logout_supported` from discovery; the config does not claim it.
   */
  backchannelLogout?: boolean;
  /** OIDCCryptoPassphrase; default random per start. */
  cryptoPassphrase?: string;
}

export interface ApacheOptions {
  apps: ApacheAppOptions[];
  /** Apache's LogLevel for mod_auth_openidc; default `info` (its warnings explain a failed refresh). */
  oidcLogLevel?: 'warn' | 'info' | 'debug';
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** A directive argument in double quotes; refuses what Apache's quoting cannot carry. */
function quoted(value: string, what: string): string {
  if (/["\\\r\n]/.test(value) || value.length === 0) throw new Error(`${what} cannot go into an Apache directive: ${JSON.stringify(value)}`);
  return `"${value}"`;
}

/** The page each app shows behind mod_auth_openidc: every identity value, escaped by mod_include. */
export function identityPage(appName: string): string {
  const rows = Object.entries(SHOWN_IDENTITY).map(([id, variable]) => `      <dt>${variable}</dt><dd id="${id}"><!--#echo encoding="entity" var="${variable}" --></dd>`);
  return [
    `<!doctype html>`,
    `<html lang="en">`,
    `  <head><meta charset="utf-8"><title>${escapeHtml(appName)}: signed in</title></head>`,
    `  <body>`,
    `    <main>`,
    `    <h1>${escapeHtml(appName)}</h1>`,
    `    <p>What mod_auth_openidc passes this application:</p>`,
    `    <dl>`,
    ...rows,
    `    </dl>`,
    `    <p><a href="redirect_uri?logout=<!--#echo encoding="url" var="SG_LOGGED_OUT_URL" -->">Sign out</a></p>`,
    `    </main>`,
    `  </body>`,
    `</html>`,
    ``,
  ].join('\n');
}

const LOGGED_OUT_PAGE = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><main><h1>Signed out</h1><p><a href="/app/">Sign in again</a></p></main></body></html>\n`;

/** One app's VirtualHost: mod_auth_openidc against the issuer, `/app/` protected. */
function appVirtualHost(app: ApacheAppOptions & { port: number }, dir: string): string[] {
  if (!/^[a-z0-9-]{1,40}$/.test(app.name)) throw new Error(`app name must be [a-z0-9-]: ${JSON.stringify(app.name)}`);
  const urls = apacheAppUrls(app.port);
  const refresh = app.refreshBeforeExpiry === undefined ? { seconds: 3598, logoutOnError: true } : app.refreshBeforeExpiry;
  const docroot = join(dir, 'htdocs', app.name);
  return [
    `Listen 127.0.0.1:${app.port}`,
    `<VirtualHost 127.0.0.1:${app.port}>`,
    `  ServerName 127.0.0.1:${app.port}`,
    `  DocumentRoot ${docroot}`,
    `  SetEnv SG_LOGGED_OUT_URL ${urls.base}/`,
    ``,
    `  OIDCProviderMetadataURL ${quoted(`${app.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, 'issuer')}`,
    `  OIDCClientID ${quoted(app.clientId, 'client id')}`,
    `  OIDCClientSecret ${quoted(app.clientSecret, 'client secret')}`,
    `  OIDCRedirectURI ${urls.redirectUri}`,
    `  OIDCCryptoPassphrase ${quoted(app.cryptoPassphrase ?? randomBytes(24).toString('base64url'), 'crypto passphrase')}`,
    `  OIDCScope ${quoted(app.scope ?? 'openid profile offline_access', 'scope')}`,
    // The gateway requires PKCE of every client; mod_auth_openidc 2.4 sends none unless told.
    `  OIDCPKCEMethod S256`,
    `  OIDCProviderTokenEndpointAuth ${app.tokenEndpointAuth ?? 'client_secret_basic'}`,
    `  OIDCProviderAuthRequestMethod ${app.authRequestMethod ?? 'GET'}`,
    // Sessions in this Apache's shared memory: what back-channel logout needs to find one by sid.
    `  OIDCSessionType server-cache`,
    `  OIDCCacheType shm`,
    // Apps share the host 127.0.0.1 and browsers do not separate cookies by port: one name each.
    `  OIDCCookie sg_rp_${app.name}`,
    `  OIDCCookiePath /app/`,
    `  OIDCDefaultLoggedOutURL ${urls.base}/`,
    ...(app.backchannelLogout ? [`  # back-channel logout: POST ${urls.backchannelLogoutUri}`] : []),
    ``,
    `  <Location /app/>`,
    `    AuthType openid-connect`,
    `    Require valid-user`,
    ...(refresh ? [`    OIDCRefreshAccessTokenBeforeExpiry ${refresh.seconds}${refresh.logoutOnError ? ' logout_on_error' : ''}`] : []),
    `    Header always set Cache-Control "no-store"`,
    `  </Location>`,
    `  <Directory ${docroot}>`,
    `    Options +Includes`,
    `    AddType "text/html; charset=utf-8" .shtml`,
    `    AddOutputFilter INCLUDES .shtml`,
    `    DirectoryIndex index.shtml index.html`,
    `    Require all granted`,
    `  </Directory>`,
    `</VirtualHost>`,
  ];
}

/** The whole apache2.conf of a private Apache in `dir` serving `apps` (each with its port chosen). */
export function apacheConfig(opts: Omit<ApacheOptions, 'apps'> & { apps: (ApacheAppOptions & { port: number })[] }, dir: string, runAs: string | null): string {
  const modules = ['mpm_event', 'authn_core', 'authz_core', 'authz_user', 'auth_openidc', 'headers', 'include', 'mime', 'dir', 'env'];
  return [
    `ServerRoot ${dir}`,
    `DefaultRuntimeDir ${dir}/run`,
    `PidFile ${dir}/run/apache2.pid`,
    `ServerName 127.0.0.1`,
    ...modules.map((m) => `LoadModule ${m}_module ${MODULES_DIR}/mod_${m}.so`),
    ...(runAs ? [`User ${runAs}`, `Group ${runAs}`] : []),
    `ErrorLog ${dir}/logs/error.log`,
    `LogLevel warn auth_openidc:${opts.oidcLogLevel ?? 'info'}`,
    `LogFormat "%{%H:%M:%S}t.%{msec_frac}t %v %h \\"%r\\" %>s %{Location}o" sg`,
    `CustomLog ${dir}/logs/access.log sg`,
    `TypesConfig /etc/mime.types`,
    // Few processes: a test is one browser; every child shares the session cache in shared memory.
    `StartServers 1`,
    `ServerLimit 2`,
    `ThreadsPerChild 16`,
    `MaxRequestWorkers 32`,
    `MinSpareThreads 4`,
    `MaxSpareThreads 32`,
    `KeepAliveTimeout 2`,
    `<Directory />`,
    `  AllowOverride None`,
    `  Require all denied`,
    `</Directory>`,
    ``,
    ...opts.apps.flatMap((app) => [...appVirtualHost(app, dir), ``]),
  ].join('\n');
}

export interface RunningApacheApp extends ReturnType<typeof apacheAppUrls> {
  name: string;
  port: number;
  clientId: string;
}

export interface RunningApache {
  apps: Record<string, RunningApacheApp>;
  /** The config this Apache runs. */
  config: string;
  pid: number;
  stop(): Promise<void>;
  /** Apache's error log (mod_auth_openidc's messages), stderr and access log so far, for a failing test's message. */
  log(): string;
  /** Apache's error log alone, growing: a test reads what was added since it began. */
  errorLog(): string;
}

export function requireApache(): void {
  for (const file of [APACHE_BIN, join(MODULES_DIR, 'mod_auth_openidc.so')]) {
    if (!existsSync(file)) throw new Error(`${file} is not installed: run scripts/install-system-deps.sh (the README test command does)`);
  }
}



/** True while any process of the group `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts Apache with mod_auth_openidc for `opts.apps`; resolves once every app's port answers. */
export async function startApache(opts: ApacheOptions): Promise<RunningApache> {
  requireApache();
  if (opts.apps.length === 0) throw new Error('startApache: give at least one app');
  const apps: (ApacheAppOptions & { port: number })[] = [];
  for (const app of opts.apps) apps.push({ ...app, port: app.port ?? (await freePort()) });
  const dir = mkdtempSync(join(tmpdir(), 'sg-apache-'));
  // Root starts the workers as www-data, which must read the pages.
  const runAs = process.getuid?.() === 0 ? 'www-data' : null;
  chmodSync(dir, 0o755);
  for (const sub of ['run', 'logs']) mkdirSync(join(dir, sub));
  for (const app of apps) {
    const docroot = join(dir, 'htdocs', app.name);
    mkdirSync(join(docroot, 'app'), { recursive: true });
    writeFileSync(join(docroot, 'app', 'index.shtml'), identityPage(app.name));
    writeFileSync(join(docroot, 'index.html'), LOGGED_OUT_PAGE);
  }
  const config = apacheConfig({ ...opts, apps }, dir, runAs);
  const confPath = join(dir, 'apache2.conf');
  writeFileSync(confPath, config, { mode: 0o600 }); // it holds the client secrets

  let output = '';
  // Its own process group: a stop that has to kill takes the workers with the parent.
  const child: ChildProcess = spawn(APACHE_BIN, ['-d', dir, '-f', confPath, '-DFOREGROUND'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/bin', LANG: 'C' } });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (err) => (output += `spawn failed: ${err.message}\n`));
  const pid = child.pid;

  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  const errorLog = () => read(join(dir, 'logs', 'error.log'));
  const log = () => `${output}${errorLog()}--- access log ---\n${read(join(dir, 'logs', 'access.log'))}`;

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM'); // the parent stops its workers, then exits
      const timer = setTimeout(() => pid !== undefined && groupAlive(pid) && process.kill(-pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    // Workers the parent left behind (it was killed, or died) go with the group.
    if (pid !== undefined && groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    for (let i = 0; i < 100 && pid !== undefined && groupAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  const allAnswer = async () => (await Promise.all(apps.map((a) => answers(a.port)))).every(Boolean);
  while (!(pidFileIs(join(dir, 'run', 'apache2.pid'), pid) && (await allAnswer()))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      const why = child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : 'did not answer within 10000 ms';
      const said = log();
      await stop();
      throw new Error(`Apache on ${apps.map((a) => `127.0.0.1:${a.port}`).join(', ')} ${why}; it said:\n${said}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const running: Record<string, RunningApacheApp> = {};
  for (const app of apps) running[app.name] = { name: app.name, port: app.port, clientId: app.clientId, ...apacheAppUrls(app.port) };
  return { apps: running, config, pid: pid!, stop, log, errorLog };
}
