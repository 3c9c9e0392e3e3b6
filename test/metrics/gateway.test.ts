import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signIn } from '../../bench/oidc-client.js';
import { LISTED, parseExposition, type Exposition } from './exposition.js';
import { APP_HOST, metricsWorld, refresh, type MetricsWorld } from './world.js';

/**
 * The acceptance: after an end-to-end run (ordinary and support logins, a refused one, a
 * refresh, forward-auth decisions, support closed so the support session ends),
 * `curl localhost:$METRICS_PORT/metrics` shows every listed metric, non-zero where traffic happened.
 */
describe('metrics of a gateway process (serve, METRICS_PORT set)', () => {
  let w: MetricsWorld;
  const scrape = async (): Promise<Exposition> => {
    const res = await fetch(w.metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return parseExposition(await res.text());
  };
  /** Scrapes until `ready` holds (the session ends on another process's event, a moment later). */
  const scrapeUntil = async (ready: (e: Exposition) => boolean): Promise<Exposition> => {
    let e = await scrape();
    for (let i = 0; i < 100 && !ready(e); i++) {
      await new Promise((r) => setTimeout(r, 100));
      e = await scrape();
    }
    return e;
  };
  const verify = (token: string | null) =>
    fetch(`${w.url}/auth/verify`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/orders', 'x-forwarded-host': APP_HOST } });

  let windowOpen: Exposition;
  let after: Exposition;

  beforeAll(async () => {
    w = await metricsWorld('metrics-gateway');
    const john = await signIn(w.rp, 'john', 'john-secret-pw');
    if (!john.ok) throw new Error(john.error);
    expect((await signIn(w.rp, 'john', 'not-his-password')).ok).toBe(false);
    await refresh(w.rp, john.tokens.refresh_token!);
    expect((await verify(john.tokens.access_token)).status).toBe(200);
    expect((await verify(null)).status).toBe(401);
    await w.ops.openSupport({ tenant: 'acme', username: 'admin' });
    const jill = await signIn(w.rp, 'jill$john', 'jill-secret-pw');
    if (!jill.ok) throw new Error(jill.error);
    windowOpen = await scrape();
    await w.ops.closeSupport({ tenant: 'acme', username: 'admin' });
    after = await scrapeUntil((e) => e.sum(`${LISTED.sessionEndDelay}_count`) > 0);
  }, 90_000);
  afterAll(async () => {
    await w?.stop();
  });

  it('declares every listed metric', () => {
    for (const name of Object.values(LISTED)) expect([name, after.types.has(name)]).toEqual([name, true]);
  });

  it('counts the logins by outcome and cause, and the support login', () => {
    expect(after.sum(LISTED.logins, { kind: 'user', outcome: 'success', cause: 'none' })).toBe(1);
    expect(after.sum(LISTED.logins, { kind: 'user', outcome: 'refused', cause: 'wrong-password' })).toBe(1);
    expect(after.sum(LISTED.logins, { kind: 'support', outcome: 'success', cause: 'none' })).toBe(1);
    expect(after.sum(LISTED.supportLogins)).toBe(1);
  });

  // (The first scrape comes while the window is open: the count is then kept for 10 s.)
  it('shows the open support window while it is open', () => {
    expect(windowOpen.sum(LISTED.openWindows)).toBe(1);
  });

  it("counts the support session ended by the close, and the delay from the close to its end", () => {
    expect(after.sum(LISTED.sessionsEnded, { reason: 'support-not-enabled', trigger: 'support.window.reduced' })).toBe(1);
    expect(after.sum(`${LISTED.sessionEndDelay}_count`)).toBe(1);
    expect(after.sum(`${LISTED.sessionEndDelay}_sum`)).toBeGreaterThanOrEqual(0);
  });

  it('counts issued tokens and the refresh', () => {
    // Two code exchanges and one refresh: an access token each; a refresh token per exchange (and one more if the refresh rotated it).
    expect(after.sum(LISTED.tokensIssued, { type: 'access_token' })).toBe(3);
    expect(after.sum(LISTED.tokensIssued, { type: 'refresh_token' })).toBeGreaterThanOrEqual(2);
    expect(after.sum(LISTED.tokenRefreshes, { outcome: 'success' })).toBe(1);
  });

  it('counts forward-auth decisions by outcome', () => {
    expect(after.sum(LISTED.forwardAuth, { outcome: 'allowed', reason: 'none' })).toBe(1);
    expect(after.sum(LISTED.forwardAuth, { outcome: 'unauthenticated', reason: 'token_missing' })).toBe(1);
  });

  it('times audit appends and Redis commands, receives the event, and reports Redis up with no failures', () => {
    expect(after.sum(`${LISTED.auditAppend}_count`)).toBeGreaterThan(5);
    expect(after.sum(`${LISTED.redisDuration}_count`)).toBeGreaterThan(10);
    expect(after.sum(`${LISTED.eventLag}_count`, { type: 'support.window.reduced' })).toBeGreaterThanOrEqual(1);
    expect(after.sum(LISTED.redisUp)).toBe(1);
    expect(after.sum(LISTED.auditFailures)).toBe(0);
    expect(after.samples.filter((s) => s.name === LISTED.redisErrors && s.value > 0)).toEqual([]);
    expect(after.samples.filter((s) => s.name === LISTED.redisErrors).map((s) => s.labels.kind).sort()).toEqual(['cluster', 'connection', 'other', 'reply', 'timeout']);
  });

  it("includes Node's process metrics", () => {
    expect(after.sum(LISTED.processCpu)).toBeGreaterThan(0);
    expect(after.sum(LISTED.heap)).toBeGreaterThan(0);
  });

  it('names no user and no secret', async () => {
    const text = await (await fetch(w.metricsUrl)).text();
    for (const word of ['john', 'jill', 'secret-pw', 'acme']) expect([word, text.includes(word)]).toEqual([word, false]);
  });

  it('is not served on the public port', async () => {
    expect((await fetch(`${w.url}/metrics`)).status).toBe(404);
  });

  it('answers nothing but /metrics on its own port', async () => {
    expect((await fetch(w.metricsUrl.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(w.metricsUrl.replace('/metrics', '/readyz'))).status).toBe(404);
  });
});
