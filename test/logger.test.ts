import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../src/logger.js';

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
});
