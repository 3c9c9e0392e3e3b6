import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger, type Logger } from '../src/logger.js';

/** The text a pretty logger writes, with its own level colours taken out. */
async function prettyLines(log: (logger: Logger) => void): Promise<string[]> {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (d: Buffer) => (out += d.toString()));
  log(createLogger({ logLevel: 'info', logFormat: 'pretty' }, stream));
  await new Promise((r) => setImmediate(r));
  return out.replace(/\x1b\[\d+m/g, '').split('\n').slice(0, -1);
}

// Anything a terminal would act on: C0, DEL, C1, bidi controls, line/paragraph separators.
const TERMINAL_CONTROL = /[\x00-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]/;

describe('logs', () => {
  it('write one JSON object a line in json format, with secret-looking fields redacted at any depth', async () => {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (d: Buffer) => (out += d.toString()));
    const logger = createLogger({ logLevel: 'info', logFormat: 'json' }, stream);
    logger.info('user created', { username: 'john', password: 'hunter2-pw', nested: { clientSecret: 's3cr3t', token: 'tok', ok: 1 }, cookie: 'c' });
    await new Promise((r) => setImmediate(r));
    const line = JSON.parse(out.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', message: 'user created', username: 'john', password: '[redacted]', nested: { clientSecret: '[redacted]', token: '[redacted]', ok: 1 }, cookie: '[redacted]' });
    expect(out).not.toMatch(/hunter2|s3cr3t|tok"/);
  });

  it('keep a message or field with CR, LF, NUL or escapes on one pretty line, shown visibly', async () => {
    const lines = await prettyLines((logger) => {
      logger.warn('login refused for mallory\r\n12:00:00.000 info login succeeded for admin\x00', { username: 'eve\x1b[2K\x1b]0;owned\x07\u2028x\u202e', hops: 1 });
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(TERMINAL_CONTROL);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} warn login refused for mallory\\r\\n12:00:00\.000 info login succeeded for admin\\x00 \{/);
    expect(lines[0]).toContain('"username":"eve\\u001b[2K\\u001b]0;owned\\u0007\\u2028x\\u202e"');
  });

  it('keep an audit entry with a typed username of CR, LF and escapes on one pretty line', async () => {
    const lines = await prettyLines((logger) => {
      logger.info('audit', { audience: 'audit', entry: { tenant: 'acme', who: 'mallory\n12:00:00.000 info audit acme: admin login.succeeded success\x1b[1A', action: 'login.failed', outcome: 'failure', cause: 'invalid\rcredentials\u0085' } });
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(TERMINAL_CONTROL);
    expect(lines[0]).toMatch(/ info audit acme: mallory\\n12:00:00\.000 info audit acme: admin login\.succeeded success\\x1b\[1A login\.failed failure \(invalid\\rcredentials\\x85\)$/);
  });
});
