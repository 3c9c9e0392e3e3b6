import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { REFUSALS } from '../src/admin/policy.js';
import { AppError, ERRORS, placeholders, type CatalogueEntry, type ErrorKey, type ErrorParams } from '../src/errors.js';

const entries = Object.entries(ERRORS) as [ErrorKey, CatalogueEntry][];
const PLACEHOLDER = /\{\w+\}/;

/** A distinct value for each placeholder name, so a test can see where each one landed. */
const valuesFor = (names: string[]) => Object.fromEntries(names.map((n) => [n, `Value-Of-${n}`]));
const templatesOf = (e: CatalogueEntry) => [e.message, e.title, e.detail].filter((t): t is string => t !== undefined);
/** An AppError built the way call sites build one: a key and params, never text. */
const make = (key: ErrorKey, params?: Record<string, string>) => new AppError(key as 'INTERNAL', undefined, params ? { params } : {});

describe('the error catalogue', () => {
  it.each(entries)('%s: every placeholder is filled when its param is given', (key, entry) => {
    const names = [...new Set(templatesOf(entry).flatMap(placeholders))];
    const err = make(key, valuesFor(names));
    const shown = entry.detail ?? entry.message;
    expect(err.message).not.toMatch(PLACEHOLDER);
    expect(err.title).not.toMatch(PLACEHOLDER);
    for (const name of placeholders(shown)) {
      const lowerOnly = !shown.includes(`{${name}}`);
      expect(err.message).toContain(lowerOnly ? `value-of-${name.toLowerCase()}` : `Value-Of-${name}`);
    }
    for (const name of entry.title ? placeholders(entry.title) : []) expect(err.title).toContain('Value-Of-');
  });

  it.each(entries)('%s: a placeholder without its param stays visible', (key, entry) => {
    const err = make(key);
    // Without its params a detail is not used: the message shows, placeholders and all.
    expect(err.message).toBe(entry.message);
    if (entry.title) expect(err.title).toBe(entry.title);
  });

  it('a detail is used only when every value it names is given; HTTP 5xx answers keep the generic message', () => {
    expect(new AppError('AUDIT_UNAVAILABLE', undefined, { params: { reason: 'WRONGTYPE x' } }).message).toBe('the audit log cannot be written (WRONGTYPE x); the action was refused');
    expect(new AppError('AUDIT_UNAVAILABLE').message).toBe('The audit log cannot be written; the action was refused');
    const withDetail = entries.filter(([, e]) => e.detail !== undefined);
    expect(withDetail.length).toBeGreaterThan(0);
    for (const [key, e] of withDetail) {
      expect(e.status).toBeGreaterThanOrEqual(500);
      // The message is what an HTTP answer shows: it names no internal reason.
      expect([key, placeholders(e.message)]).toEqual([key, []]);
    }
  });

  it('`{name_lower}` gives the value in lower case', () => {
    const err = new AppError('FORM_EXPIRED', undefined, { params: { form: 'Sign-in' } });
    expect([err.title, err.message]).toEqual(['Sign-in expired', 'This sign-in form is no longer valid. Go back to the application and sign in again.']);
  });

  it('braces that are not a `{name}` are text, not placeholders', () => {
    expect(placeholders(ERRORS.SIGNING_KEYS_NO_PRIVATE_KEY.message)).toEqual([]);
    const none: ErrorParams<'SIGNING_KEYS_NO_PRIVATE_KEY'> = {};
    expect(new AppError('SIGNING_KEYS_NO_PRIVATE_KEY', undefined, { params: none }).message).toContain('({ "keys": [...] })');
  });

  it('params are typed by the templates: a missing or misspelt one does not compile', () => {
    const params: ErrorParams<'USER_NOT_FOUND'> = { username: 'ghost', tenant: 'acme' };
    expect(new AppError('USER_NOT_FOUND', undefined, { params }).message).toBe('user "ghost" not found in tenant "acme"');
    // @ts-expect-error the message names {username} and {tenant}: params are required
    expect(() => new AppError('USER_NOT_FOUND')).not.toThrow();
    // @ts-expect-error {tenant} is missing
    expect(() => new AppError('USER_NOT_FOUND', undefined, { params: { username: 'ghost' } })).not.toThrow();
    // @ts-expect-error {tenant}, not {tenantId}
    expect(() => new AppError('TENANT_NOT_FOUND', undefined, { params: { tenantId: 'acme' } })).not.toThrow();
  });

  it('a specific entry answers as the general code it refines, with the same status', () => {
    for (const [key, e] of entries) {
      expect([key, e.status >= 400 && e.status < 600]).toEqual([key, true]);
      if (e.refines === undefined) continue;
      const general = (ERRORS as Record<string, CatalogueEntry>)[e.refines];
      expect([key, general?.refines, general?.status]).toEqual([key, undefined, e.status]);
      expect(make(key, valuesFor(templatesOf(e).flatMap(placeholders)))).toMatchObject({ key, code: e.refines, status: e.status });
    }
    expect(new AppError('MANAGEMENT_NOT_SUSPENDABLE')).toMatchObject({ code: 'FORBIDDEN', status: 403, message: 'the management tenant can never be suspended' });
  });

  it('every permission refusal is a FORBIDDEN (403) entry of the catalogue', () => {
    for (const key of Object.values(REFUSALS)) expect([key, ERRORS[key].refines, ERRORS[key].status]).toEqual([key, 'FORBIDDEN', 403]);
  });
});

// ---------------------------------------------------------------------------------------------
// The rule from now on: the words live in the catalogue. `new AppError(key, <text>)` is refused
// in src/; the second argument is `undefined` or absent.

const root = resolve(process.cwd(), 'src');
/** Where a text that is not ours passes through: body-parser's own safe 4xx message. */
const PASSES_FOREIGN_TEXT = new Set(['http/errors.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The arguments of the call whose `(` is at `open`, split at top-level commas (strings and brackets skipped). */
function callArguments(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === '`') {
      // A template's `${...}` may hold anything; its closing backtick is what ends it here.
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (--depth === 0) {
        args.push(text.slice(start, i));
        break;
      }
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return args.map((a) => a.trim()).filter((a, i, all) => a !== '' || i < all.length - 1);
}

describe('messages live in the catalogue only', () => {
  const files = sources(root).filter((f) => relative(root, f) !== 'errors.ts');
  const calls = files.flatMap((f) => {
    const text = readFileSync(f, 'utf8');
    return [...text.matchAll(/new AppError\(/g)]
      .filter((m) => !/^\s*(\*|\/\/)/.test(text.slice(text.lastIndexOf('\n', m.index) + 1, m.index)))
      .map((m) => ({ file: relative(root, f), line: text.slice(0, m.index).split('\n').length, args: callArguments(text, m.index + 'new AppError'.length) }));
  });

  it('finds the calls it checks', () => {
    expect(calls.length).toBeGreaterThan(40);
    expect(calls.every((c) => c.args.length >= 1)).toBe(true);
  });

  it('no `new AppError` in src/ passes its own text: the second argument is undefined or absent', () => {
    const withText = calls.filter((c) => c.args.length > 1 && c.args[1] !== 'undefined' && !PASSES_FOREIGN_TEXT.has(c.file));
    expect(withText.map((c) => `${c.file}:${c.line}: ${c.args[1]!.slice(0, 80)}`)).toEqual([]);
  });

  it('not even where a foreign text passes through: no string or template literal anywhere', () => {
    const literal = calls.filter((c) => c.args.length > 1 && /^['"`]/.test(c.args[1]!));
    expect(literal.map((c) => `${c.file}:${c.line}: ${c.args[1]!.slice(0, 80)}`)).toEqual([]);
  });

  it('the check sees a text where one is passed', () => {
    const sample = "throw new AppError('FORBIDDEN', `tenant \"${id}\" is suspended`, { cause });";
    expect(callArguments(sample, sample.indexOf('('))).toEqual(["'FORBIDDEN'", '`tenant "${id}" is suspended`', '{ cause }']);
    const plain = "new AppError(REFUSALS[d.reason])";
    expect(callArguments(plain, plain.indexOf('('))).toEqual(['REFUSALS[d.reason]']);
  });
});
