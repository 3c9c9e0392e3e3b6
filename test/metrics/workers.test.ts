import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signIn } from '../../bench/oidc-client.js';
import { LISTED, parseExposition } from './exposition.js';
import { FreshConnectionBrowser, metricsWorld, type MetricsWorld } from './world.js';

/**
 * `serve --workers 2`: the primary alone listens on METRICS_PORT and answers with both workers'
 * figures added up; the workers do not listen.
 */
describe('metrics of serve --workers 2', () => {
  let w: MetricsWorld;
  const LOGINS = 6;

  beforeAll(async () => {
    w = await metricsWorld('metrics-workers', ['--workers', '2']);
  }, 60_000);
  afterAll(async () => {
    await w?.stop();
  });

  it('the primary sums the logins both workers served', async () => {
    for (let i = 0; i < LOGINS; i++) {
      // Every request on a connection of its own, handed to the workers in turn; one more request
      // on every other round shifts which worker gets the next login's form post.
      if (i % 2 === 1) await fetch(`${w.url}/readyz`, { headers: { connection: 'close' } });
      const r = await signIn(w.rp, 'john', 'john-secret-pw', { browser: new FreshConnectionBrowser() });
      expect(r.ok).toBe(true);
    }
    const e = parseExposition(await (await fetch(w.metricsUrl)).text());
    expect(e.sum('supportgate_gateway_processes')).toBe(2);
    expect(e.sum(LISTED.logins, { kind: 'user', outcome: 'success' })).toBe(LOGINS);
    expect(e.sum(LISTED.tokensIssued, { type: 'access_token' })).toBe(LOGINS);
    // Redis is up in both (the lowest of the two), and the open-window count is one of theirs, not a sum.
    expect(e.sum(LISTED.redisUp)).toBe(1);
    expect(e.sum(LISTED.openWindows)).toBe(0);
    expect(e.sum(LISTED.processCpu)).toBeGreaterThan(0);
  }, 60_000);

  it('stopping the server closes the metrics listener', async () => {
    w.server.signal('SIGTERM');
    expect(await w.server.ending()).toBe('0');
    await expect(fetch(w.metricsUrl)).rejects.toThrow();
  }, 30_000);
});
