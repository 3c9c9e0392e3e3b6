import { describe, expect, it } from '@jest/globals';
import { printable } from '../../src/text/printable.js';

describe('printable', () => {
  it('leaves ordinary text alone, including non-Latin names and a backslash', () => {
    for (const s of ['john', 'jill$john', 'Zoë Müller', '田中', 'שלום', 'DOMAIN\\john', 'ticket #42, "urgent"', '']) {
      expect(printable(s)).toBe(s);
    }
  });

  it('shows line breaks and tabs as \\n, \\r and \\t, so one value stays on one line', () => {
    expect(printable('a\nb\r\nc\td')).toBe('a\\nb\\r\\nc\\td');
  });

  it('shows every other C0 control, DEL and C1 control as \\xHH', () => {
    expect(printable('\x00\x07\x08\x0b\x0c\x1b\x1f\x7f\x80\x9b\x9f')).toBe('\\x00\\x07\\x08\\x0b\\x0c\\x1b\\x1f\\x7f\\x80\\x9b\\x9f');
  });

  it('defuses terminal escape sequences: erase line, cursor moves, window title', () => {
    const out = printable('\x1b[2K\x1b[1A\x1b]0;owned\x07eve');
    expect(out).toBe('\\x1b[2K\\x1b[1A\\x1b]0;owned\\x07eve');
    expect(out).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  });

  it('shows bidi controls and line/paragraph separators as \\uHHHH, so text cannot be reordered or split', () => {
    expect(printable('admin\u202egnp.exe')).toBe('admin\\u202egnp.exe');
    expect(printable('\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069')).toBe('\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069');
    expect(printable('a\u2028b\u2029c')).toBe('a\\u2028b\\u2029c');
    expect(printable('\u200e\u200f\u061c')).toBe('\\u200e\\u200f\\u061c');
  });

  it('leaves nothing a terminal would act on, whatever the input', () => {
    let all = '';
    for (let c = 0; c < 0x3000; c++) all += String.fromCharCode(c);
    expect(printable(all)).not.toMatch(/[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/);
  });
});
