/**
 * Every message a user of supportgate can see, in one catalogue. The code is the wire code
 * (JSON APIs answer `{ error: code, message }`), the status is what HTTP answers carry.
 * Expected failures are AppErrors; anything else reaching the error handler is a bug (500).
 */
export const ERRORS = {
  INVALID_INPUT: { status: 400, message: 'Invalid input' },
  INVALID_CONFIG: { status: 500, message: 'Invalid configuration' },
  INVALID_CREDENTIALS: { status: 401, message: 'Invalid username or password' },
  TENANT_NOT_FOUND: { status: 404, message: 'Tenant not found' },
  TENANT_EXISTS: { status: 409, message: 'Tenant already exists' },
  DOMAIN_TAKEN: { status: 409, message: 'Domain is already used by another tenant' },
  USER_NOT_FOUND: { status: 404, message: 'User not found' },
  USERNAME_TAKEN: { status: 409, message: 'Username is already taken in this tenant' },
  ROLE_NOT_ALLOWED: { status: 400, message: 'Role is not allowed in this tenant' },
  CLIENT_EXISTS: { status: 409, message: 'Client already exists in this tenant' },
  CLIENT_NOT_FOUND: { status: 404, message: 'Client not found' },
  SETTING_UNKNOWN: { status: 400, message: 'Unknown setting' },
  SETTING_INVALID: { status: 400, message: 'Invalid setting value' },
  CONFLICT: { status: 409, message: 'Concurrent update, try again' },
  STORE_UNAVAILABLE: { status: 503, message: 'The data store is unavailable' },
  AUDIT_UNAVAILABLE: { status: 503, message: 'The audit log cannot be written; the action was refused' },
  FORBIDDEN: { status: 403, message: 'Not permitted' },
  SUPPORT_GLOBAL: { status: 409, message: 'Support access is on for every tenant; no request is needed' },
  SUPPORT_HOURS: { status: 400, message: 'Invalid number of hours for a support request' },
  NO_ACTIVE_REQUEST: { status: 409, message: 'No active support request' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  INTERNAL: { status: 500, message: 'Internal error' },
  // The sign-in pages (a `title` is the page's heading; `{name}` is filled from the error's params).
  UNKNOWN_TENANT: { status: 404, title: 'Unknown tenant', message: 'There is no active tenant "{tenant}" here. Check the address or the Tenant ID.' },
  SIGN_IN_EXPIRED: { status: 400, title: 'Sign-in expired', message: 'This sign-in has expired or was already used. Go back to the application and sign in again.' },
  FORM_EXPECTED: { status: 415, title: '{form} form expected', message: 'The {form_lower} form must be sent as a form (application/x-www-form-urlencoded). Go back to the application and sign in again.' },
  FORM_INVALID: { status: 400, title: '{form} form not valid', message: 'The {form_lower} form was incomplete or not valid. Go back to the application and sign in again.' },
  FORM_EXPIRED: { status: 403, title: '{form} expired', message: 'This {form_lower} form is no longer valid. Go back to the application and sign in again.' },
  TOO_MANY_ATTEMPTS: { status: 429, message: 'Too many failed sign-ins. Try again in {wait}.' },
  LOGIN_STEP_NOT_OFFERED: { status: 403, message: 'This sign-in needs a step this gateway does not offer.' },
} as const satisfies Record<string, { status: number; message: string; title?: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Field-level problems of an INVALID_INPUT / INVALID_CONFIG, safe to show. */
  readonly issues: readonly string[];

  /** Values the catalogue's `{name}` placeholders are filled with (titles and messages). */
  readonly params: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message?: string, options: { issues?: readonly string[]; cause?: unknown; params?: Record<string, string> } = {}) {
    super(message ?? fill(ERRORS[code].message, options.params ?? {}), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.issues = options.issues ?? [];
    this.params = options.params ?? {};
  }

  /** The page heading for this error: the catalogue's title, else a generic one by status. */
  get title(): string {
    const entry: { status: number; message: string; title?: string } = ERRORS[this.code];
    return entry.title ? fill(entry.title, this.params) : this.status >= 500 ? 'Something went wrong' : 'Request refused';
  }

  /** Exposed to clients only below 500; server errors show the catalogue text, never internals. */
  get expose(): boolean {
    return this.status < 500 || this.code === 'STORE_UNAVAILABLE' || this.code === 'AUDIT_UNAVAILABLE';
  }
}

/** Fills `{name}` placeholders; `{name_lower}` gives the value in lower case. */
function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+?)(_lower)?\}/g, (all, name: string, lower?: string) => {
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
  /Failed to refresh slots cache|ClusterAllFailedError|CLUSTERDOWN/i,
  /LOADING|MASTERDOWN|READONLY/,
  // Writes refused by the server itself (memory limit, no replicas, failed persistence).
  /^OOM |NOREPLICAS|MISCONF/,
];

/** Maps anything thrown to an AppError: store outages become STORE_UNAVAILABLE, the rest INTERNAL. */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : '';
  // A MULTI whose commands the server refused fails as EXECABORT; the reasons ride along.
  const previous = ((err as { previousErrors?: unknown[] } | null)?.previousErrors ?? []).map((e) => (e instanceof Error ? e.message : String(e)));
  if (REDIS_UNAVAILABLE.some((re) => re.test(message) || re.test(name) || previous.some((p) => re.test(p)))) {
    return new AppError('STORE_UNAVAILABLE', `the data store is unavailable (${message.split('\n')[0]})`, { cause: err });
  }
  return new AppError('INTERNAL', undefined, { cause: err });
}
