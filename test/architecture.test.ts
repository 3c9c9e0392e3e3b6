import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';

// The shape of src/ that CONTRIBUTING.md describes, held by a test so that it stays true.
const root = resolve(process.cwd(), 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(p) ? [p] : [];
  });
}

const files = sources(root);
const text = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
/** The source file an import of `./x.js` names: x.ts, or x.tsx for a page. */
function sourceOf(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier.replace(/\.js$/, ''));
  return [`${base}.ts`, `${base}.tsx`].find((f) => text.has(f)) ?? `${base}.ts`;
}
/** Relative imports (and re-exports) of each module, as module paths. */
const imports = new Map(files.map((f) => [f, [...text.get(f)!.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)].map((m) => sourceOf(f, m[1]!))]));
/** The top folder (or file) of src a module lives in: its part of the architecture. */
const part = (f: string) => relative(root, f).split('/')[0]!.replace(/\.tsx?$/, '');

/** Cycles of modules (strongly connected components of more than one module). */
function cycles(): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of imports.get(v) ?? []) {
      if (!imports.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(relative(root, w));
      } while (w !== v);
      if (scc.length > 1) found.push(scc);
    }
  };
  for (const v of imports.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** Who may import a part: the edges (http, oidc, cli) are used only from above them. */
const MAY_IMPORT: Record<string, string[]> = {
  http: ['main'],
  oidc: ['http', 'main'],
  cli: ['main', 'demo'],
  admin: ['operations', 'http', 'cli', 'main', 'demo'],
};
const DOMAIN = ['tenants', 'users', 'clients', 'settings', 'support-access', 'audit'];

describe('the source tree', () => {
  it('has no import cycle', () => {
    expect(cycles()).toEqual([]);
  });

  it('imports the edges (http, oidc, cli) only from above them, and the domain imports no edge', () => {
    const wrong: string[] = [];
    for (const [f, deps] of imports) {
      for (const d of deps) {
        const from = part(f);
        const to = part(d);
        if (from === to) continue;
        if (MAY_IMPORT[to] && !MAY_IMPORT[to].includes(from)) wrong.push(`${relative(root, f)} -> ${relative(root, d)}`);
        if (DOMAIN.includes(from) && ['oidc', 'http', 'cli', 'demo', 'main', 'operations', 'admin', 'domain'].includes(to)) wrong.push(`${relative(root, f)} -> ${relative(root, d)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('assembles the support name jill$john in exactly one function', () => {
    const places = files.flatMap((f) => [...text.get(f)!.matchAll(/\}\$\$\{/g)].map(() => relative(root, f)));
    expect(places).toEqual(['support-access/sessions.ts']);
  });

  it('reads the time only through the clock', () => {
    expect(files.filter((f) => text.get(f)!.includes('Date.now()')).map((f) => relative(root, f))).toEqual(['clock.ts']);
  });

  it('keeps no mutable state at module level (caches are named objects)', () => {
    const found = files.flatMap((f) =>
      text
        .get(f)!
        .split('\n')
        .filter((line) => /^(let |var )/.test(line) || /^(export )?const [a-z]\w* = new (Map|Set|WeakMap|WeakSet)\b/.test(line))
        .map((line) => `${relative(root, f)}: ${line.trim()}`),
    );
    expect(found).toEqual([]);
  });
});
