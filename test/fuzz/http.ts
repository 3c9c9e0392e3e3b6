import fc from 'fast-check';

/**
 * What the gateway fuzzers share: raw requests with a time bound, what a refusal must look like
 * (a page with a message a person can read, or a standard OAuth error), and runners that keep a
 * few requests in flight at once on a two-core machine.
 */

/** No answer may take longer than this: a request that hangs is a failure, not a slow pass. */
export const ANSWER_WITHIN_MS = 5000;

export interface Answer {
  status: number;
  ms: number;
  type: string;
  body: string;
  location: string | null;
}

export async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const start = Date.now();
  try {
    const res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(ANSWER_WITHIN_MS + 1000) });
    const body = await res.text();
    return { status: res.status, ms: Date.now() - start, type: res.headers.get('content-type') ?? '', body, location: res.headers.get('location') };
  } catch (err) {
    // A timeout or a dropped connection: status 0, which no oracle accepts.
    return { status: 0, ms: Date.now() - start, type: '', body: `no answer: ${(err as Error).message}`, location: null };
  }
}

/** RFC 6749 §4.1.2.1/§5.2, RFC 7009, RFC 6750, RFC 9449 (DPoP), RFC 9126 (PAR), OIDC Core §3.1.2.6. */
export const OAUTH_ERRORS = new Set([
  'invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope',
  'access_denied', 'unsupported_response_type', 'unsupported_response_mode', 'invalid_token', 'insufficient_scope', 'unsupported_token_type',
  'invalid_dpop_proof', 'use_dpop_nonce', 'invalid_target', 'invalid_request_uri', 'invalid_request_object', 'request_not_supported',
  'request_uri_not_supported', 'registration_not_supported', 'interaction_required', 'login_required', 'account_selection_required',
  'consent_required', 'invalid_authorization_details', 'invalid_redirect_uri', 'invalid_client_metadata',
]);

/** Words that must never reach a caller: an exception or the inside of the gateway showing. */
const LEAKS = /\bat \S+\.(?:js|ts|mjs):\d+|\[object Object\]|\bundefined\b|\bNaN\b|\bTypeError\b|\bReferenceError\b|ioredis|ECONNREFUSED|ReplyError/g;

/** What in `words` shows the inside of the gateway (words the caller sent itself excepted). */
function leaked(words: string, sent: string): string | null {
  const found = [...words.matchAll(LEAKS)].map((m) => m[0]).filter((w) => !sent.includes(w));
  return found.length > 0 ? `leaks internals (${found.join(', ')}): ${words.slice(0, 200)}` : null;
}

/** The words a person is shown on a page: the form's alert, else the page's heading and paragraph. */
export function pageWords(html: string): string | null {
  const alert = /role="alert">([^<]+)</.exec(html)?.[1];
  if (alert) return alert;
  const page = /<h1>([^<]+)<\/h1>\s*<p>([^<]+)<\/p>/.exec(html);
  return page ? `${page[1]}: ${page[2]}` : null;
}

/**
 * A refusal a person or a program can act on: a page with a message, or JSON with error and
 * words (message or error_description). Returns what is wrong, or null. `sent`: what the request
 * carried, which the answer may echo.
 */
export function clearRefusal(a: Answer, sent = ''): string | null {
  if (refusedBeforeTheApp(a)) return null;
  if (a.type.startsWith('text/html')) {
    const words = pageWords(a.body);
    return words ? leaked(words, sent) : `page without a message: ${a.body.slice(0, 200)}`;
  }
  if (a.type.startsWith('application/json')) return jsonError(a, sent, false);
  return `neither a page nor JSON (${a.type || 'no content type'}): ${a.body.slice(0, 200)}`;
}

function jsonError(a: Answer, sent: string, standard: boolean): string | null {
  let j: { error?: unknown; message?: unknown; error_description?: unknown };
  try {
    j = JSON.parse(a.body) as typeof j;
  } catch {
    return `JSON that does not parse: ${a.body.slice(0, 200)}`;
  }
  if (typeof j.error !== 'string' || j.error === '') return `JSON without error: ${a.body.slice(0, 200)}`;
  if (standard && !OAUTH_ERRORS.has(j.error)) return `non-standard error ${JSON.stringify(j.error)}: ${a.body.slice(0, 200)}`;
  const words = typeof j.message === 'string' ? j.message : typeof j.error_description === 'string' ? j.error_description : null;
  if (words === null) return standard ? null : `JSON error without words: ${a.body.slice(0, 200)}`;
  return leaked(words, sent);
}

/** A standard OAuth error answer (JSON, 4xx). Returns what is wrong, or null. */
export function oauthError(a: Answer, sent = ''): string | null {
  if (a.status === 431 && a.body === '') return null;
  if (a.status < 400 || a.status >= 500) return `status ${a.status}, not an OAuth error: ${a.body.slice(0, 200)}`;
  if (!a.type.startsWith('application/json')) return `not JSON (${a.type}): ${a.body.slice(0, 200)}`;
  return jsonError(a, sent, true);
}

/**
 * Refusals that come before the gateway's own code, where no page can be rendered, and are the
 * HTTP standard's own: Node's parser answers a header block (URL included) over 16 KiB with 431
 * and no body; oidc-provider answers a path or method it does not route (registration is off,
 * POST at /auth and /session/end is off by its default) with a bare 404 "Not Found".
 */
export function refusedBeforeTheApp(a: Answer): boolean {
  return (a.status === 431 && a.body === '') || (a.status === 404 && a.type.startsWith('text/plain') && a.body === 'Not Found');
}

/** The bound every answer must meet, whatever it is. */
export function bounded(a: Answer): string | null {
  if (a.status === 0) return a.body;
  if (a.status >= 500) return `server error ${a.status}: ${a.body.slice(0, 300)}`;
  if (a.ms > ANSWER_WITHIN_MS) return `answered after ${a.ms} ms`;
  return null;
}

// ---- what the fuzzers type ----

/** Characters that break parsers: the notation's symbols, separators, controls, odd Unicode. */
const nasty = fc.constantFrom('$', '/', '&', '=', '%', '+', ';', '#', '?', '"', "'", '<', '>', '\\', '{', '}', '[', ']', '\u0000', '\u0001', '\u001b', '\t', '\n', '\r', ' ', '\u00a0', '\u2028', '\u202e', '\ufeff', '\ufffd', '＄', '😀', 'é', 'a', 'Z', '0', '-', '.');

/** Any text: plain, hostile, all of Unicode, empty, and now and then huge. */
export const anyText = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: nasty, maxLength: 30 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', 'undefined', '[]', '{}', '0', '-1', 'true', '__proto__', 'constructor', '%', '%zz', '%00', '%C0%AF', '%ED%A0%80') },
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: nasty, minLength: 1, maxLength: 3 }), fc.integer({ min: 200, max: 20_000 })).map(([s, n]) => s.repeat(Math.ceil(n / s.length)).slice(0, n)) },
);

/** Text that can travel in a header (HTTP field values are bytes: no CR, LF or NUL; Latin-1 at most). */
export const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 200 });

/** Percent-encodes the UTF-8 bytes of `s` (lone surrogates become U+FFFD, as a browser sends them). */
export function pct(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** Fields in order, repeats allowed: the way a form or a query string really arrives. */
export type Fields = Array<[string, string]>;
export const encodeFields = (fields: Fields) => fields.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&');

/**
 * A field set around a valid one: each field kept, dropped, repeated or replaced by `anyText`,
 * plus a few unexpected fields. `valid` maps each field to the values that make sense for it.
 */
export function fieldsAround(valid: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<Fields> {
  // Mostly sensible fields, so a good share of cases gets past the first check to the deeper ones.
  const one = (key: string, good: fc.Arbitrary<string>): fc.Arbitrary<Fields> =>
    fc.oneof(
      { weight: 14, arbitrary: good.map((v): Fields => [[key, v]]) },
      { weight: 3, arbitrary: anyText.map((v): Fields => [[key, v]]) },
      { weight: 1, arbitrary: fc.constant<Fields>([]) },
      { weight: 1, arbitrary: fc.tuple(good, fc.oneof(good, anyText)).map(([a, b]): Fields => [[key, a], [key, b]]) },
      { weight: 1, arbitrary: good.map((v): Fields => [[`${key}[]`, v]]) },
    );
  const extra = fc.array(fc.tuple(fc.oneof(anyText, fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty')), anyText), { maxLength: 2 });
  return fc.tuple(fc.tuple(...Object.entries(valid).map(([k, g]) => one(k, g))), extra).map(([parts, more]) => [...parts.flat(), ...more] as Fields);
}

/** How a body travels: encoded as a browser would, or wrong in one of the ways clients get it wrong. */
export type Transport =
  | { kind: 'form' }
  | { kind: 'form-charset'; charset: string }
  | { kind: 'raw'; bytes: Uint8Array }
  | { kind: 'json' }
  | { kind: 'multipart' }
  | { kind: 'text' }
  | { kind: 'no-type' }
  | { kind: 'gzip-garbage' }
  | { kind: 'encoding'; encoding: string }
  | { kind: 'huge' }
  | { kind: 'empty' };

export const transport: fc.Arbitrary<Transport> = fc.oneof(
  { weight: 20, arbitrary: fc.constant<Transport>({ kind: 'form' }) },
  { weight: 2, arbitrary: fc.constantFrom('utf-8', 'UTF-8', 'iso-8859-1', 'utf-16', 'utf-16le', 'us-ascii', 'koi8-r', 'x-garbage', '').map((charset): Transport => ({ kind: 'form-charset', charset })) },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes): Transport => ({ kind: 'raw', bytes })) },
  { weight: 1, arbitrary: fc.constantFrom<Transport>({ kind: 'json' }, { kind: 'multipart' }, { kind: 'text' }, { kind: 'no-type' }, { kind: 'gzip-garbage' }, { kind: 'huge' }, { kind: 'empty' }) },
  { weight: 1, arbitrary: fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown', 'gzip, gzip').map((encoding): Transport => ({ kind: 'encoding', encoding })) },
);

/** The body and headers of `fields` sent by `how`. */
export function bodyOf(fields: Fields, how: Transport): { body?: Uint8Array<ArrayBuffer>; headers: Record<string, string> } {
  const form = Buffer.from(encodeFields(fields));
  const FORM = 'application/x-www-form-urlencoded';
  switch (how.kind) {
    case 'form':
      return { body: form, headers: { 'content-type': FORM } };
    case 'form-charset':
      return { body: form, headers: { 'content-type': `${FORM}; charset=${how.charset}` } };
    case 'raw':
      return { body: new Uint8Array(how.bytes), headers: { 'content-type': FORM } };
    case 'json':
      return { body: Buffer.from(JSON.stringify(Object.fromEntries(fields))), headers: { 'content-type': 'application/json' } };
    case 'multipart': {
      const b = 'fuzzboundary';
      const parts = fields.map(([k, v]) => `--${b}\r\ncontent-disposition: form-data; name="${k.replace(/["\r\n]/g, '')}"\r\n\r\n${v}\r\n`).join('');
      return { body: Buffer.from(`${parts}--${b}--\r\n`), headers: { 'content-type': `multipart/form-data; boundary=${b}` } };
    }
    case 'text':
      return { body: form, headers: { 'content-type': 'text/plain' } };
    case 'no-type':
      return { body: form, headers: {} };
    case 'gzip-garbage':
      return { body: form, headers: { 'content-type': FORM, 'content-encoding': 'gzip' } };
    case 'encoding':
      return { body: form, headers: { 'content-type': FORM, 'content-encoding': how.encoding } };
    case 'huge':
      return { body: Buffer.concat([form, Buffer.from(`&pad=${'x'.repeat(64 * 1024)}`)]), headers: { 'content-type': FORM } };
    case 'empty':
      return { headers: { 'content-type': FORM } };
  }
}

/** A client address per case, so no sign-in limit decides what a case sees (the world trusts the loopback proxy). */
export const address = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 })).map((p) => p.join('.'));

export const acceptHeader = fc.constantFrom<string | null>(null, 'text/html', '*/*', 'application/json', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'image/png', 'garbage;;;q=x');

/**
 * Runs `check` on `runs` values of `arb`, `lanes` at a time (each lane a fast-check run of its
 * own with seed `seed + lane`, so a failure names a seed that replays it). `check` returns what is
 * wrong, or null. Returns the number of cases checked.
 */
export async function fuzzInLanes<T>(arb: fc.Arbitrary<T>, runs: number, lanes: number, seed: number, check: (value: T, lane: number) => Promise<string | null>): Promise<number> {
  let cases = 0;
  await Promise.all(
    Array.from({ length: lanes }, (_, lane) =>
      fc.assert(
        fc.asyncProperty(arb, async (value) => {
          cases++;
          const wrong = await check(value, lane);
          if (wrong) throw new Error(wrong);
        }),
        // A failing case shrinks for a bounded time, then is reported as found so far.
        { numRuns: Math.ceil(runs / lanes), seed: seed + lane, interruptAfterTimeLimit: 40_000, markInterruptAsFailure: false },
      ),
    ),
  );
  return cases;
}
