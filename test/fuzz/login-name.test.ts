import { afterAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseLoginName, type LoginName } from '../../src/support-access/login-name.js';

// Issue 10, fuzzing (a): the Username field's notation, SPEC §3, parsed at the first `$`:
//   john · jill$john · jill$ · acme/jill$john · acme/john  are names;  $john · $ · a$b$c  are not.
// Run in-process: many thousands of typed strings, every one answered without an exception.

const TENANT_ID = /^[a-z][a-z0-9-]{1,62}$/;
/** Every input the parser was given, shrinking included. */
let cases = 0;
const parse = (typed: string) => (cases++, parseLoginName(typed));

/** Text a person (or a script) might type: full Unicode, control characters, and the notation's own symbols, often. */
const notationChar = fc.constantFrom('$', '$', '/', '/', ' ', '\t', '\n', '\r', '\u0000', '\u00a0', '\u2028', '\ufeff', '＄', '／', 'a', 'j', 'J', 'é', '-', '0', '.', '@');
const typed = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: notationChar, maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: notationChar, maxLength: 10 }), fc.integer({ min: 250, max: 400 })).map(([s, n]) => s.padEnd(n, 'x')) },
);

/** A name as the user directory allows it (letters, digits, . _ @ + -): never `$`, `/` or blank. */
const name = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@+-éßЖ名'), minLength: 1, maxLength: 30 });
const tenantId = fc.stringMatching(/^[a-z][a-z0-9-]{1,20}$/);
const blank = fc.constantFrom('', ' ', '  ', '\t', '\n', ' \r\n ');

/** The shape every answer must have: null, or one of the two kinds with sane parts. */
function wellFormed(r: LoginName | null): boolean {
  if (r === null) return true;
  if (r.tenant !== null && !TENANT_ID.test(r.tenant)) return false;
  if (r.kind === 'user') return Object.keys(r).length === 3 && typeof r.username === 'string' && r.username !== '' && !r.username.includes('$');
  if (r.kind === 'support') {
    return Object.keys(r).length === 4 && typeof r.supportUser === 'string' && r.supportUser !== '' && !r.supportUser.includes('$') && (r.target === null || (r.target !== '' && !r.target.includes('$')));
  }
  return false;
}

/** What the answer says was typed, written back in the notation. */
const written = (r: LoginName) => `${r.tenant === null ? '' : `${r.tenant}/`}${r.kind === 'user' ? r.username : `${r.supportUser}$${r.target ?? ''}`}`;

describe('the login-name parser under arbitrary input (SPEC §3)', () => {
  afterAll(() => console.log(`login-name fuzzing: ${cases} cases`));

  it('never throws, answers null or a well-formed name, and the name is exactly what was typed, split at the first $', () => {
    fc.assert(
      fc.property(typed, (s) => {
        const r = parse(s);
        expect(wellFormed(r)).toBe(true);
        const text = s.trim();
        if (r === null) return;
        // Nothing lost, nothing invented: the parts put back together are the trimmed input.
        expect(written(r)).toBe(text);
        expect(text.length).toBeLessThanOrEqual(300);
        // `$` at most once after the tenant, never first (`$john`, `$`, `a$b$c` are invalid credentials).
        const afterTenant = r.tenant === null ? text : text.slice(r.tenant.length + 1);
        expect(afterTenant.split('$').length).toBeLessThanOrEqual(2);
        expect(afterTenant.startsWith('$')).toBe(false);
      }),
      { numRuns: 6000 },
    );
  });

  it('reads every form of the notation as SPEC §3 lists it, around any blanks', () => {
    fc.assert(
      fc.property(fc.tuple(fc.option(tenantId, { nil: null }), name, fc.option(name, { nil: undefined }), fc.boolean(), blank, blank), ([tenant, first, second, support, before, after]) => {
        const body = support ? `${first}$${second ?? ''}` : first;
        const r = parse(`${before}${tenant === null ? '' : `${tenant}/`}${body}${after}`);
        const expected: LoginName = support ? { kind: 'support', tenant, supportUser: first, target: second ?? null } : { kind: 'user', tenant, username: first };
        expect(r).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses `$john`, `$`, `a$b$c` and every name with a second $, with or without a tenant', () => {
    const invalid = fc.oneof(
      name.map((n) => `$${n}`),
      fc.constant('$'),
      fc.tuple(name, fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([a, b, c]) => `${a}$${b}$${c}`),
      fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([b, c]) => `$${b}$${c}`),
    );
    fc.assert(
      fc.property(fc.tuple(fc.option(tenantId, { nil: null }), invalid, blank), ([tenant, text, pad]) => {
        expect(parse(`${pad}${tenant === null ? '' : `${tenant}/`}${text}${pad}`)).toBeNull();
      }),
      { numRuns: 1500 },
    );
  });

  it('refuses a tenant part that is no tenant id, an empty name, and anything longer than 300 characters', () => {
    const badTenant = fc.string({ maxLength: 70 }).filter((t) => !TENANT_ID.test(t) && !t.includes('/') && t.trim() === t && t !== '');
    const invalid = fc.oneof(
      fc.tuple(badTenant, name).map(([t, n]) => `${t}/${n}`),
      fc.tuple(tenantId, fc.constantFrom('', '$', '$x')).map(([t, rest]) => `${t}/${rest}`),
      fc.constantFrom('', '   ', '\t\n', '/'),
      fc.tuple(name, fc.integer({ min: 301, max: 5000 })).map(([n, len]) => n.padEnd(len, 'n')),
    );
    fc.assert(
      fc.property(invalid, (text) => {
        expect(parse(text)).toBeNull();
      }),
      { numRuns: 1500 },
    );
  });
});
