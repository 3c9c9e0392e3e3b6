import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Browser, relyingParty } from '../../bench/oidc-client.js';
import * as client from 'openid-client';
import { oidcWorld, type OidcWorld } from './setup.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('login timing', () => {
  let world: OidcWorld;
  // The real password parameters: the difference must hide in a full argon2 verify.
  beforeAll(async () => {
    world = await oidcWorld('oidc-timing', { ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2', ARGON2_PARALLELISM: '1', LOGIN_MAX_FAILURES_PER_ACCOUNT: '100', LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS: '1000', LOGIN_MAX_FAILURES_PER_ADDRESS: '1000' });
  }, 60_000);
  afterAll(async () => world.stop());

  it('an unknown user and a wrong password take the same time (median paired difference within 5 ms over 50 pairs)', async () => {
    const rp = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
    const browser = new Browser();
    const url = client.buildAuthorizationUrl(rp.config, { redirect_uri: rp.redirectUri, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    const { url: loginUrl, res } = await browser.follow(url.toString(), rp.redirectUri);
    const html = await res.text();
    const action = new URL(/<form method="post" action="([^"]+)"/.exec(html)![1]!, loginUrl).toString();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const attempt = async (username: string, password: string) => {
      const start = performance.now();
      const r = await browser.request(action, { method: 'POST', body: new URLSearchParams({ csrf, tenant: 'acme', username, password }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      const page = await r.text();
      const elapsed = performance.now() - start;
      expect(page).toContain('Invalid username or password');
      return elapsed;
    };
    const wrong: number[] = [];
    // Each pair runs back to back, so a change in the machine's load (other suites share the two
    // cores) shifts both of a pair alike; the median of the pairs' differences is what must be ~0.
    const differences: number[] = [];
    await attempt('john', 'warm-up-pw');
    for (let i = 0; i < 50; i++) {
      const u = await attempt(`nobody${i}`, 'some-password');
      const w = await attempt('john', `wrong-password-${i}`);
      wrong.push(w);
      differences.push(w - u);
    }
    expect(median(wrong)).toBeGreaterThan(5); // a real argon2 verify ran
    expect(Math.abs(median(differences))).toBeLessThan(5);
  }, 60_000);
});
