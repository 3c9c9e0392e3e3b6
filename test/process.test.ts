import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { redisUrlAnswers } from '../src/demo/private-redis.js';
import { runProcess } from './support/cli.js';
import { testPrefix } from './support/env.js';
import { freePort } from './support/ports.js';
import { RunningProcess } from './support/process.js';

const running: RunningProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.kill()));
});

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-proc-')), ...extra };
}

describe('npm start', () => {
  it('exits non-zero naming both fields when PORT=abc REDIS_URL=nope', async () => {
    const result = await runProcess('npm', ['start'], baseEnv({ PORT: 'abc', REDIS_URL: 'nope' }));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('supportgate: invalid configuration: port (PORT): must be an integer between 0 and 65535');
    expect(result.stderr).toContain('supportgate: invalid configuration: redis.url (REDIS_URL): must be a redis:// or rediss:// URL');
  }, 60_000);
});

describe('supportgate serve', () => {
  it('serves until SIGTERM, then stops cleanly with exit code 0', async () => {
    const port = await freePort();
    const gw = new RunningProcess(process.execPath, ['bin/supportgate.js', 'serve'], baseEnv({ PORT: String(port), REDIS_PREFIX: testPrefix('serve'), LOG_FORMAT: 'json' }));
    running.push(gw);
    await gw.waitForOutput('listening on port');
    for (let i = 0; (await fetch(`http://127.0.0.1:${port}/readyz`)).status !== 200; i++) {
      if (i > 100) throw new Error('never ready');
      await new Promise((r) => setTimeout(r, 50));
    }
    gw.signal('SIGTERM');
    expect(await gw.exited).toBe(0);
    const lines = gw.stdout.trim().split('\n').map((l) => JSON.parse(l) as { message: string });
    expect(lines.map((l) => l.message)).toEqual(expect.arrayContaining(['received SIGTERM', 'stopped']));
    expect(lines.some((l) => l.message.startsWith('generated development signing keys'))).toBe(true);
  }, 30_000);
});

describe('the demo', () => {
  it('starts a private Redis when none answers, seeds, serves, prints the URL and logins, and stops it all on Ctrl-C', async () => {
    const port = await freePort();
    const redisPort = await freePort();
    const env = baseEnv({ PORT: String(port), DEMO_APP_PORT: String(await freePort()), REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    const demo = new RunningProcess(process.execPath, ['dist/src/demo/run.js'], env);
    running.push(demo);
    await demo.waitForOutput('Press Ctrl-C to stop.');
    expect(demo.stdout).toContain(`started a private redis-server on port ${redisPort}`);
    expect(demo.stdout).toContain(`generated development signing keys and secrets under ${env.DATA_DIR}`);
    expect(demo.stdout).toContain(`supportgate demo is running at http://localhost:${port}`);
    expect(demo.stdout).toMatch(/acme\s+jill\$john\s+jill-demo-pw/);
    expect(demo.stdout).toMatch(/management\s+jill\s+jill-demo-pw\s+support user, scope: acme/);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    expect(existsSync(join(env.DATA_DIR!, 'redis', 'appendonlydir'))).toBe(true);
    demo.signal('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(await redisUrlAnswers(`redis://127.0.0.1:${redisPort}`)).toBe(false);
  }, 60_000);

  it('uses the Redis that answers at REDIS_URL, and seeding twice changes nothing', async () => {
    const port = await freePort();
    const env = baseEnv({ PORT: String(port), DEMO_APP_PORT: String(await freePort()), REDIS_PREFIX: testPrefix('demo') });
    for (let run = 0; run < 2; run++) {
      const demo = new RunningProcess(process.execPath, ['dist/src/demo/run.js'], env);
      running.push(demo);
      await demo.waitForOutput('Press Ctrl-C to stop.');
      expect(demo.stdout).not.toContain('private redis-server');
      demo.signal('SIGTERM');
      // (Once, in CI, this demo ended by a signal instead of exiting 0: the message now says how.)
      expect(await demo.ending()).toBe('0');
    }
    const users = await runProcess(process.execPath, ['bin/supportgate.js', 'user', 'list', 'acme', '--json'], env);
    expect((JSON.parse(users.stdout) as { username: string }[]).map((u) => u.username)).toEqual(['admin', 'john', 'mary']);
  }, 60_000);

  it('says how to get Redis when none answers and redis-server is not installed', async () => {
    const bin = join(mkdtempSync(join(tmpdir(), 'sg-path-')), 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const redisPort = await freePort();
    const result = await runProcess(process.execPath, ['dist/src/demo/run.js'], { ...baseEnv({ REDIS_URL: `redis://127.0.0.1:${redisPort}` }), PATH: bin });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`nothing answers at redis://127.0.0.1:${redisPort} and redis-server is not installed`);
    expect(result.stderr).toContain('docker compose up -d redis');
    expect(result.stderr).toContain('apt-get install redis-server');
  }, 30_000);
});
