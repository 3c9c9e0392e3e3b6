// C0, DEL, C1; the Arabic letter mark and LRM/RLM; line/paragraph separators and the bidi
// embeddings, overrides and isolates (U+2028-U+202E, U+2066-U+2069).
const CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeControl(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** Text a stranger typed, made safe for a terminal: a control character shows as `\n`, `\x1b`, `\u202e` instead of acting. */
export function printable(s: string): string {
  return s.replace(CONTROL, escapeControl);
}
