import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { packageRoot } from '../src/paths.js';

const root = packageRoot();
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });

describe('the repository', () => {
  it('tracks no key, secret or DATA_DIR file, and ignores the generated ones', () => {
    const tracked = git('ls-files').split('\n').filter(Boolean);
    expect(tracked.length).toBeGreaterThan(20);
    expect(tracked.filter((f) => /(^|\/)\.data\/|\.pem$|\.key$|(^|\/)\.env$|jwks.*\.json$|secrets\.json$/.test(f))).toEqual([]);
    for (const f of ['.data/jwks.json', '.data/secrets.json', '.data/redis/appendonlydir/x.aof', 'node_modules/x', 'dist/x.js']) {
      expect(git('check-ignore', '--no-index', f).trim()).toBe(f);
    }
  });

  it('has .ci/run run exactly the README test command', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const quickStart = readme.slice(readme.indexOf('## Quick start'));
    const commands = [...quickStart.matchAll(/```sh\n([^\n]+)\n```/g)].map((m) => m[1]!);
    const testCommand = commands.find((c) => c.includes('npm test'));
    expect(testCommand).toBeDefined();
    const ci = readFileSync(join(root, '.ci', 'run'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#') && !l.startsWith('set '));
    expect(ci).toEqual([testCommand]);
  });

  it('has a lock file that names every platform build of every optional dependency, so `npm ci` installs from it on any platform (issue 16, item 8)', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { optionalDependencies?: Record<string, string> }> };
    const missing: string[] = [];
    for (const [path, pkg] of Object.entries(lock.packages)) {
      for (const dep of Object.keys(pkg.optionalDependencies ?? {})) {
        // Node's resolution: next to the package, then up the tree to the root's node_modules.
        let base = path;
        let found = false;
        for (;;) {
          if (lock.packages[`${base ? `${base}/` : ''}node_modules/${dep}`]) {
            found = true;
            break;
          }
          if (!base) break;
          const up = base.lastIndexOf('/node_modules/');
          base = up < 0 ? '' : base.slice(0, up);
        }
        if (!found) missing.push(`${path || '(root)'} -> ${dep}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
