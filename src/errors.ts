/**
 * Every message a user of supportgate can see, in one catalogue: call sites name an entry and
 * pass params, never text. An entry is
 * - `status`: what an HTTP answer carries (4xx: the caller's to fix, 5xx: ours);
 * - `message`: a template. `{name}` is filled from the error's params, `{name_lower}` gives the
 *   value in lower case; a placeholder without a value stays visible (so a missing param shows);
 * - `title`: a sign-in page's heading, a template too;
 * - `detail`: for a 5xx whose cause an operator needs (Redis' own words): the longer template that
 *   becomes `AppError.message` (CLI, log, the audit's `cause`) when every placeholder it names is
 *   given; `message` stays the generic text, the only one an HTTP 5xx answer shows;
 * - `refines`: this entry is one specific wording of a more general code, which stays the wire
 *   code (`AppError.code`, JSON `error`, CLI exit codes): a client that handles `forbidden`
 *   handles every refusal, and a CLI exit code does not change with the wording. An HTTP 5xx
 *   answer shows the message of the wire code's own entry.
 * Expected failures are AppErrors; anything else reaching the error handler is a bug (500).
 */
export const ERRORS = {
  // General codes: the wire codes the refinements below answer as.
  INVALID_INPUT: { status: 400, message: 'Invalid input' },
  INPUT_ISSUES: { status: 400, refines: 'INVALID_INPUT', message: 'invalid {what}: {issues}' },
  INVALID_CONFIG: { status: 500, message: 'Invalid configuration' },
  INVALID_WORKERS: { status: 400, refines: 'INVALID_INPUT', message: '--workers and WEB_CONCURRENCY take a whole number from 1 to 64 (got "{value}")' },
  CONFIG_ISSUES: { status: 500, refines: 'INVALID_CONFIG', message: 'invalid configuration: {issues}' },
  INVALID_CREDENTIALS: { status: 401, message: 'Invalid username or password' },
  FORBIDDEN: { status: 403, message: 'Not permitted' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  CONFLICT: { status: 409, message: 'Concurrent update, try again' },
  STORE_UNAVAILABLE: { status: 503, message: 'The data store is unavailable', detail: 'the data store is unavailable ({reason})' },
  STORE_UNREACHABLE: { status: 503, refines: 'STORE_UNAVAILABLE', message: 'cannot reach {redis}: {reason}' },
  // Written on the master, but not confirmed by the replicas REDIS_REPLICA_ACKS asks for: a failover could still lose it.
  KEYS_ARE_PLATFORM: { status: 409, refines: 'CONFLICT', message: "tenant \"{tenant}\" signs with the platform's keys: rotate those for every tenant on them with `keys rotate` (no --tenant)" },
  STORE_UNCONFIRMED: { status: 503, refines: 'STORE_UNAVAILABLE', message: 'the change was written but not confirmed by a replica ({reason}); check its effect before repeating it' },
  AUDIT_UNAVAILABLE: { status: 503, message: 'The audit log cannot be written; the action was refused', detail: 'the audit log cannot be written ({reason}); the action was refused' },
  INTERNAL: { status: 500, message: 'Internal error' },

  // Tenants.
  TENANT_NOT_FOUND: { status: 404, message: 'tenant "{tenant}" not found' },
  TENANT_EXISTS: { status: 409, message: 'tenant "{tenant}" already exists' },
  DOMAIN_TAKEN: { status: 409, message: 'domain "{domain}" is already used by another tenant' },
  TENANT_SUSPENDED: { status: 403, refines: 'FORBIDDEN', message: 'tenant "{tenant}" is suspended' },
  MANAGEMENT_NOT_SUSPENDABLE: { status: 403, refines: 'FORBIDDEN', message: 'the management tenant can never be suspended' },
  MANAGEMENT_NEVER_TARGET: { status: 400, refines: 'INVALID_INPUT', message: 'the management tenant is never a support target' },
  COOKIE_DOMAIN_INVALID: { status: 400, refines: 'INVALID_INPUT', message: 'cookie domain "{domain}" must be a host name of at least two labels, such as shop.example' },
  COOKIE_DOMAIN_NOT_OWN: { status: 400, refines: 'INVALID_INPUT', message: 'cookie domain "{domain}" is neither a domain of tenant "{tenant}" nor a parent of one (its domains: {domains})' },
  COOKIE_DOMAIN_MANAGEMENT: { status: 400, refines: 'INVALID_INPUT', message: 'the management tenant has no forward-auth apps: it takes no cookie domain' },
  COOKIE_DOMAIN_COVERS_OTHER: { status: 409, refines: 'DOMAIN_TAKEN', message: `cookie domain "{domain}" covers "{covered}" of tenant "{tenant}": the sign-in cookie would reach that tenant's apps` },
  DOMAIN_UNDER_COOKIE_DOMAIN: { status: 409, refines: 'DOMAIN_TAKEN', message: `domain "{domain}" lies under the cookie domain "{cookieDomain}" of tenant "{tenant}": that tenant's sign-in cookie would reach it` },

  // Users.
  USER_NOT_FOUND: { status: 404, message: 'user "{username}" not found in tenant "{tenant}"' },
  /** The user's record went away between finding it and changing it. */
  USER_RECORD_MISSING: { status: 404, refines: 'USER_NOT_FOUND', message: 'user not found' },
  USERNAME_TAKEN: { status: 409, message: 'username "{username}" is already taken in tenant "{tenant}"' },
  USER_DISABLED: { status: 403, refines: 'FORBIDDEN', message: 'user "{username}" is disabled' },
  ROLE_NOT_ALLOWED: { status: 400, message: 'role {roles} exists only in the management tenant' },
  SCOPE_NEEDS_SUPPORT_ROLE: { status: 400, refines: 'INVALID_INPUT', message: 'scope applies to support users only (add --role support)' },
  SCOPE_ALL_ALONE: { status: 400, refines: 'INVALID_INPUT', message: 'scope "*" already means every tenant; give it alone' },
  PASSWORD_STDIN_TTY: { status: 400, refines: 'INVALID_INPUT', message: `--password-stdin reads the password from a pipe, e.g. printf '%s' "$PASSWORD" | supportgate ...` },
  PASSWORD_STDIN_EMPTY: { status: 400, refines: 'INVALID_INPUT', message: '--password-stdin: nothing was read from stdin' },

  // Clients.
  CLIENT_EXISTS: { status: 409, message: 'client "{clientId}" already exists in tenant "{tenant}"' },
  CLIENT_NOT_FOUND: { status: 404, message: 'Client not found' },
  CLIENT_NOT_IN_TENANT: { status: 404, refines: 'CLIENT_NOT_FOUND', message: 'client "{clientId}" not found in tenant "{tenant}"' },
  CLIENT_PUBLIC_NO_SECRET: { status: 400, refines: 'INVALID_INPUT', message: 'client "{clientId}" is public: it has no secret to rotate' },

  // Settings.
  SETTING_UNKNOWN: { status: 400, message: 'unknown setting "{key}"; known: {known}' },
  SETTING_INVALID: { status: 400, message: 'Invalid setting value' },
  SETTING_VALUE_INVALID: { status: 400, refines: 'SETTING_INVALID', message: '{key}: {problem}' },
  SETTING_GLOBAL_ONLY: { status: 400, refines: 'SETTING_INVALID', message: '{key} is global; a tenant may override only {overridable}' },
  TENANT_MODE_VALUES: { status: 400, refines: 'SETTING_INVALID', message: 'support.mode for a tenant: read-only, or inherit to follow the global mode' },
  TENANT_MODE_NOT_STRICTER: { status: 400, refines: 'SETTING_INVALID', message: 'a tenant may only make support.mode stricter than the global {global}; use inherit to follow it' },
  REQUEST_HOURS_OVER_MAX: { status: 400, refines: 'SETTING_INVALID', message: 'support.requestHours ({hours}) must not exceed support.maxRequestHours ({max})' },

  // Support requests.
  SUPPORT_GLOBAL: { status: 409, message: 'support access is on for every tenant; no request is needed' },
  SUPPORT_GLOBAL_UNTIL: { status: 409, refines: 'SUPPORT_GLOBAL', message: 'support access is on for every tenant until {until}; no request is needed' },
  SUPPORT_HOURS: { status: 400, message: 'hours must be a whole number from 1 to {max} (support.maxRequestHours)' },
  SUPPORT_REASON_TOO_LONG: { status: 400, refines: 'INVALID_INPUT', message: 'reason must be at most {max} characters' },
  NO_ACTIVE_REQUEST: { status: 409, message: 'No active support request' },
  TENANT_HAS_NO_ACTIVE_REQUEST: { status: 409, refines: 'NO_ACTIVE_REQUEST', message: 'tenant "{tenant}" has no active support request' },
  USER_HAS_NO_ACTIVE_REQUEST: { status: 409, refines: 'NO_ACTIVE_REQUEST', message: '{username} has no active support request in tenant "{tenant}"' },

  // The JSON API (/api/v1): the bearer token and the body.
  INVALID_TOKEN: { status: 401, message: 'The access token is invalid or expired' },
  TOKEN_MISSING: { status: 401, refines: 'INVALID_TOKEN', message: 'send an access token of the tenant: Authorization: Bearer <token>' },
  JSON_EXPECTED: { status: 415, message: 'the request body must be JSON (Content-Type: application/json)' },

  // The audit log's reader.
  AUDIT_CURSOR_INVALID: { status: 400, refines: 'INVALID_INPUT', message: 'invalid cursor: pass back the cursor a previous page printed' },
  AUDIT_CURSOR_MISMATCH: { status: 400, refines: 'INVALID_INPUT', message: 'invalid cursor for this query' },
  AUDIT_ENTRY_NOT_FOUND: { status: 404, refines: 'NOT_FOUND', message: 'audit entry "{id}" not found in tenant "{tenant}"' },

  // The console's directory forms (users, clients, settings), beyond what the domain checks.
  PASSWORDS_DIFFER: { status: 400, refines: 'INVALID_INPUT', message: 'the two passwords differ: type the same new password twice' },
  OWN_ACCOUNT_DISABLE: { status: 400, refines: 'INVALID_INPUT', message: 'you cannot disable your own account; another administrator can' },
  OWN_ADMIN_ROLE: { status: 400, refines: 'INVALID_INPUT', message: 'you cannot take away your own {role} role; another administrator can' },
  SCOPE_WITHOUT_SUPPORT_ROLE: { status: 400, refines: 'INVALID_INPUT', message: 'a scope is for support users: tick the Support role, or leave the scope empty' },
  CLIENT_NEEDS_REDIRECT_URI: { status: 400, refines: 'INVALID_INPUT', message: 'give at least one redirect URI: where the app receives the signed-in user' },
  GLOBAL_ACCESS_UNTIL_MISSING: { status: 400, refines: 'INVALID_INPUT', message: 'choose the date and time (UTC) until which global access stays on' },

  // Permission refusals (src/admin/policy.ts), one per reason.
  FORBIDDEN_SUPPORT_SESSION: { status: 403, refines: 'FORBIDDEN', message: 'a support session cannot change support requests, passwords, users, clients or settings' },
  FORBIDDEN_OTHER_TENANT: { status: 403, refines: 'FORBIDDEN', message: 'not permitted in another tenant' },
  FORBIDDEN_NOT_ADMIN: { status: 403, refines: 'FORBIDDEN', message: 'this needs an administrator role' },
  FORBIDDEN_AUDITOR_READS_ONLY: { status: 403, refines: 'FORBIDDEN', message: 'the auditor role grants reading the audit log only' },
  FORBIDDEN_AUDITORS_ONLY: { status: 403, refines: 'FORBIDDEN', message: 'the audit log is read by auditors only' },
  FORBIDDEN_PLATFORM_ADMIN_ONLY: { status: 403, refines: 'FORBIDDEN', message: 'this needs a platform administrator' },
  FORBIDDEN_MANAGEMENT_PLATFORM_ADMIN: { status: 403, refines: 'FORBIDDEN', message: 'the management tenant is administered by platform administrators only' },
  FORBIDDEN_MANAGEMENT_SUPPORT_TARGET: { status: 403, refines: 'FORBIDDEN', message: 'the management tenant is never a support target' },
  FORBIDDEN_TENANT_DIRECTORY: { status: 403, refines: 'FORBIDDEN', message: "a tenant's users and clients are managed by its own administrators" },
  FORBIDDEN_TENANT_OWNS_MODE: { status: 403, refines: 'FORBIDDEN', message: "a tenant's stricter support mode is set by its own administrators" },
  FORBIDDEN_SETTINGS_GLOBAL: { status: 403, refines: 'FORBIDDEN', message: 'support settings are global and kept in the management tenant' },
  FORBIDDEN_CLIENT_ACTION: { status: 403, refines: 'FORBIDDEN', message: 'an API client cannot be granted this action' },
  FORBIDDEN_CLIENT_SCOPE: { status: 403, refines: 'FORBIDDEN', message: "the client's scopes do not include this action" },
  FORBIDDEN_TOKEN_SCOPE: { status: 403, refines: 'FORBIDDEN', message: "the access token's scopes do not include this action" },

  // Starting up: keys and the demo (the operator reads these on the terminal).
  KEYS_FILE_UNREADABLE: { status: 500, refines: 'INVALID_CONFIG', message: 'cannot read {what} from {file}: {reason}' },
  KEYS_FILE_NOT_JSON: { status: 500, refines: 'INVALID_CONFIG', message: 'cannot read {what} from {file}: not valid JSON' },
  SIGNING_KEYS_FILE_MODE: { status: 500, refines: 'INVALID_CONFIG', message: 'the signing keys file {file} has mode 0{mode}: group and others must have no access to private keys; run: chmod 600 {file}' },
  SIGNING_KEYS_NO_PRIVATE_KEY: { status: 500, refines: 'INVALID_CONFIG', message: 'signing keys must be a JWKS with at least one private key ({ "keys": [...] })' },
  KEYS_REQUIRED_IN_PRODUCTION: { status: 500, refines: 'INVALID_CONFIG', message: 'production needs its keys configured' },
  DEMO_APP_PORT_INVALID: { status: 500, refines: 'INVALID_CONFIG', message: 'DEMO_APP_PORT must be a port number' },
  DEMO_REDIS_NOT_INSTALLED: {
    status: 503,
    refines: 'STORE_UNAVAILABLE',
    message:
      "nothing answers at {where} and redis-server is not installed. Start Redis with `docker compose up -d redis`, or install Debian's package (`sudo apt-get install redis-server`, or `sudo bash scripts/install-system-deps.sh`), then run the demo again.",
  },
  DEMO_REDIS_NOT_LOOPBACK: { status: 503, refines: 'STORE_UNAVAILABLE', message: 'nothing answers at {where}; the demo starts a private Redis only for a loopback REDIS_URL' },

  // The sign-in pages (a `title` is the page's heading).
  UNKNOWN_TENANT: { status: 404, title: 'Unknown tenant', message: 'There is no active tenant "{tenant}" here. Check the address or the Tenant ID.' },
  SIGN_IN_EXPIRED: { status: 400, title: 'Sign-in expired', message: 'This sign-in has expired or was already used. Go back to the application and sign in again.' },
  FORM_EXPECTED: { status: 415, title: '{form} form expected', message: 'The {form_lower} form must be sent as a form (application/x-www-form-urlencoded). Go back to the application and sign in again.' },
  FORM_INVALID: { status: 400, title: '{form} form not valid', message: 'The {form_lower} form was incomplete or not valid. Go back to the application and sign in again.' },
  FORWARD_AUTH_UNTRUSTED: { status: 403, refines: 'FORBIDDEN', message: 'forward-auth answers only the proxies TRUST_PROXY names' },
  FORWARD_AUTH_NO_TENANT: { status: 401, refines: 'INVALID_TOKEN', message: 'no tenant serves this host' },
  FORWARD_AUTH_READ_ONLY: { status: 403, refines: 'FORBIDDEN', message: 'support sessions of this tenant may only read (GET, HEAD, OPTIONS)' },
  FORWARD_AUTH_PEOPLE_ONLY: { status: 403, refines: 'FORBIDDEN', message: 'forward-auth signs in people; a client token is not accepted here' },
  FORWARD_AUTH_RD_INVALID: { status: 400, refines: 'INVALID_INPUT', title: 'Sign-in refused', message: 'The address to return to must be an http(s) address on a domain of a tenant served here.' },
  FORWARD_AUTH_SIGN_IN_EXPIRED: { status: 400, title: 'Sign-in expired', message: 'This sign-in has expired or was already used. Open the application again to sign in.' },
  CONSOLE_FORM_EXPIRED: { status: 403, refines: 'FORM_EXPIRED', title: 'Form expired', message: 'This form belongs to an earlier console session. Open the page again and repeat what you did.' },
  FORM_EXPIRED: { status: 403, title: '{form} expired', message: 'This {form_lower} form is no longer valid. Go back to the application and sign in again.' },
  TOO_MANY_ATTEMPTS: { status: 429, message: 'Too many failed sign-ins. Try again in {wait}.' },
  LOGIN_STEP_NOT_OFFERED: { status: 403, message: 'This sign-in needs a step this gateway does not offer.' },
} as const satisfies Record<string, CatalogueEntry>;

/** One entry of the catalogue (see ERRORS). */
export interface CatalogueEntry {
  status: number;
  message: string;
  title?: string;
  detail?: string;
  refines?: string;
}

type Catalogue = typeof ERRORS;

/** A catalogue entry's name: what `new AppError(...)` is given. */
export type ErrorKey = keyof Catalogue;

/** The wire codes: the entries that refine nothing. `AppError.code` is always one of them. */
export type ErrorCode = { [K in ErrorKey]: Catalogue[K] extends { refines: string } ? never : K }[ErrorKey];

/** The names of a template's placeholders, as `fill` reads them (`{form_lower}` names `form`). */
type Placeholders<T extends string> = T extends `${string}{${infer Name}}${infer Rest}`
  ? (Name extends `${string} ${string}` ? never : Name extends `${infer Base}_lower` ? Base : Name) | Placeholders<Rest>
  : never;

type Shown<E> = (E extends { message: infer M extends string } ? M : never) | (E extends { title: infer T extends string } ? T : never);
type Detail<E> = E extends { detail: infer D extends string } ? D : never;

/** The params an entry's templates name: `ErrorParams<'USER_NOT_FOUND'>` is `{ username, tenant }`. */
export type ErrorParams<K extends ErrorKey> = Record<Placeholders<Shown<Catalogue[K]> | Detail<Catalogue[K]>>, string>;

/** Params are required when the message or title names any (a detail's are optional: without them the generic message is used). */
export type AppErrorOptions<K extends ErrorKey> = { issues?: readonly string[]; cause?: unknown } & ([Placeholders<Shown<Catalogue[K]>>] extends [never]
  ? { params?: ErrorParams<K> }
  : { params: ErrorParams<K> });

export class AppError<K extends ErrorKey = ErrorKey> extends Error {
  /** The catalogue entry that gave the words. */
  readonly key: K;
  /** The wire code: the entry's own name, or the general code it refines. */
  readonly code: ErrorCode;
  readonly status: number;
  /** Field-level problems of an INVALID_INPUT / INVALID_CONFIG, safe to show. */
  readonly issues: readonly string[];
  /** Values the catalogue's `{name}` placeholders are filled with (titles and messages). */
  readonly params: Readonly<Record<string, string>>;

  /** The words come from the catalogue entry `key`, filled with `options.params`. */
  constructor(key: K, message?: undefined, ...options: [Placeholders<Shown<Catalogue[K]>>] extends [never] ? [AppErrorOptions<K>?] : [AppErrorOptions<K>]);
  /**
   * Words that are not ours: a library's own safe 4xx text (body-parser). Our own code never
   * passes text (test/errors.test.ts holds src/ to that).
   */
  constructor(key: K, message: string, options?: { issues?: readonly string[]; cause?: unknown; params?: Record<string, string> });
  constructor(key: K, message?: string, options: { issues?: readonly string[]; cause?: unknown; params?: Record<string, string> } = {}) {
    const entry: CatalogueEntry = ERRORS[key];
    const params = options.params ?? {};
    super(message ?? render(entry, params), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.key = key;
    this.code = (entry.refines ?? key) as ErrorCode;
    this.status = entry.status;
    this.issues = options.issues ?? [];
    this.params = params;
  }

  /** The page heading for this error: the catalogue's title, else a generic one by status. */
  get title(): string {
    const entry: CatalogueEntry = ERRORS[this.key];
    return entry.title ? fill(entry.title, this.params) : this.status >= 500 ? 'Something went wrong' : 'Request refused';
  }

  /** Exposed to clients only below 500; server errors show the catalogue text, never internals. */
  get expose(): boolean {
    return this.status < 500 || this.code === 'STORE_UNAVAILABLE' || this.code === 'AUDIT_UNAVAILABLE';
  }
}

const PLACEHOLDER = /\{(\w+?)(_lower)?\}/g;

/** The names of a template's placeholders (`{form_lower}` names `form`). */
export function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** AppError.message: the detail when every value it names is given, else the message. */
function render(entry: CatalogueEntry, params: Record<string, string>): string {
  const detailed = entry.detail !== undefined && placeholders(entry.detail).every((name) => params[name] !== undefined);
  return fill(detailed ? entry.detail! : entry.message, params);
}

/** Fills `{name}` placeholders; `{name_lower}` gives the value in lower case. */
function fill(template: string, params: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (all, name: string, lower?: string) => {
    const value = params[name];
    if (value === undefined) return all;
    return lower ? value.toLowerCase() : value;
  });
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

const REDIS_UNAVAILABLE = [
  /Connection is closed/i,
  /Command timed out/i,
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND/,
  /Stream isn't writeable/i,
  /enableOfflineQueue/i,
  /Reached the max retries per request/i,
  /Failed to refresh slots cache|ClusterAllFailedError|CLUSTERDOWN|None of startup nodes is available|Cluster isn't ready/i,
  // A cluster in the middle of a failover or a resharding: redirections that did not settle within
  // the retries allowed (src/redis/client.ts), or one that reached us inside a MULTI/script.
  /Too many Cluster redirections|^(MOVED|ASK) \d+ |^TRYAGAIN/,
  // The client dropped a connection that stopped answering (socketTimeout).
  /Socket timeout/i,
  /LOADING|MASTERDOWN|READONLY|^BUSY /,
  // Writes refused by the server itself (memory limit, no replicas, failed persistence).
  /^OOM |NOREPLICAS|MISCONF/,
  // oidc-provider's TemporarilyUnavailable (by class name): what src/oidc/errors.ts made of one of
  // the above, come back through a route that called the provider (interactionDetails).
  /^TemporarilyUnavailable$/,
];

/** Maps anything thrown to an AppError: store outages become STORE_UNAVAILABLE, the rest INTERNAL. */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : '';
  // A MULTI whose commands the server refused fails as EXECABORT; the reasons ride along.
  const previous = ((err as { previousErrors?: unknown[] } | null)?.previousErrors ?? []).map((e) => (e instanceof Error ? e.message : String(e)));
  if (REDIS_UNAVAILABLE.some((re) => re.test(message) || re.test(name) || previous.some((p) => re.test(p)))) {
    return new AppError('STORE_UNAVAILABLE', undefined, { cause: err, params: { reason: message.split('\n')[0]! } });
  }
  return new AppError('INTERNAL', undefined, { cause: err });
}
