import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Browser, relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import { testConfig } from '../support/env.js';
import { BrowserAt, openLoginForm, postLogin } from './from-address.js';
import { oidcWorld, type OidcWorld } from './setup.js';

// Small limits so the tests stay short: 3 failures per account and address (2 for management
// accounts), 6 per account from anywhere (4 for management accounts).
const LIMITS = {
  TRUST_PROXY: 'loopback',
  LOGIN_BLOCK_SECONDS: '600',
  LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS: '3',
  LOGIN_MAX_FAILURES_PER_ACCOUNT: '6',
  LOGIN_SUPPORT_MAX_FAILURES_PER_ACCOUNT_ADDRESS: '2',
  LOGIN_SUPPORT_MAX_FAILURES_PER_ACCOUNT: '4',
};

const at = (address: string) => ({ browser: new BrowserAt(address) });
const tally = (statuses: number[]) => ({ verified: statuses.filter((s) => s === 401).length, refused: statuses.filter((s) => s === 429).length });

describe('failed sign-ins are limited per account and address, per address, and per account', () => {
  let world: OidcWorld;
  let acme: RelyingParty;
  let beta: RelyingParty;
  let gamma: RelyingParty;
  let management: RelyingParty;

  beforeAll(async () => {
    world = await oidcWorld('oidc-limits', LIMITS);
    const rp = (tenant: string) => relyingParty(world.issuer(tenant), world.clients[tenant]!.id, world.clients[tenant]!.secret, world.clients[tenant]!.redirectUri);
    acme = await rp('acme');
    beta = await rp('beta');
    // gamma is outside every support user's scope; management has the staff console.
    await world.ops.createTenant({ id: 'gamma' });
    const gammaUri = world.clients.acme!.redirectUri.replace('/acme/', '/gamma/');
    const { clientSecret: gammaSecret } = await world.ops.createClient({ tenant: 'gamma', clientId: 'gamma-app', redirectUris: [gammaUri], firstParty: true });
    gamma = await relyingParty(world.issuer('gamma'), 'gamma-app', gammaSecret!, gammaUri);
    const consoleUri = world.clients.acme!.redirectUri.replace('/acme/', '/management/');
    const { clientSecret: consoleSecret } = await world.ops.createClient({ tenant: 'management', clientId: 'console', redirectUris: [consoleUri], firstParty: true });
    management = await relyingParty(world.issuer('management'), 'console', consoleSecret!, consoleUri);
    await world.ops.createUser({ tenant: 'acme', username: 'kim', password: 'kim-secret-pw' });
    await world.ops.createUser({ tenant: 'management', username: 'sue', password: 'sue-secret-pw', roles: ['support'], scope: ['acme', 'beta'] });
    await world.ops.setSetting('support.globalAccess', 'true');
  }, 30_000);
  afterAll(async () => world.stop());

  it('200 parallel wrong passwords for one account: at most the configured limit are verified', async () => {
    const browser = new Browser();
    const form = await openLoginForm(acme, browser);
    const burst = (username: string, from: (i: number) => string) =>
      Promise.all(Array.from({ length: 200 }, (_, i) => postLogin(browser, form, { tenant: 'acme', username, password: `wrong-${i}-password` }, from(i))));
    // From one address: the account and address limit (3) holds however many arrive at once.
    const oneAddress = await burst('admin', () => '10.1.0.1');
    expect(tally(oneAddress.map((r) => r.status))).toEqual({ verified: 3, refused: 197 });
    expect(oneAddress.filter((r) => r.status === 401).every((r) => r.error === 'Invalid username or password')).toBe(true);
    // From 200 addresses: the per-account limit (6) holds too, for an account that does not exist.
    const manyAddresses = await burst('nobody', (i) => `10.1.${1 + (i >> 8)}.${i & 255}`);
    expect(tally(manyAddresses.map((r) => r.status))).toEqual({ verified: 6, refused: 194 });
  }, 60_000);

  it('several correct sign-ins of one account at once from one address all succeed (no failure, no lock)', async () => {
    // Attempts are counted before their password is checked: more correct ones at once than the
    // limit must still pass, as the checks of the first ones reset the count.
    const attempts = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const browser = new BrowserAt('10.5.0.1');
        const form = await openLoginForm(acme, browser);
        return postLogin(browser, form, { tenant: 'acme', username: 'kim', password: 'kim-secret-pw' }, '10.5.0.1');
      }),
    );
    expect(attempts.map((a) => a.status)).toEqual([303, 303, 303, 303, 303, 303]);
  });

  it("a stranger's failures cannot make john's correct password fail from john's own address", async () => {
    expect((await signIn(acme, 'john', 'john-secret-pw', at('10.2.0.1'))).ok).toBe(true);
    // A stranger guesses from four addresses, three guesses each.
    const stranger: number[] = [];
    const browser = new Browser();
    const form = await openLoginForm(acme, browser);
    for (let a = 1; a <= 4; a++) {
      for (let i = 0; i < 3; i++) stranger.push((await postLogin(browser, form, { tenant: 'acme', username: 'john', password: `guess-${a}-${i}` }, `10.2.6.${a}`)).status);
    }
    const elsewhere = await signIn(acme, 'john', 'john-secret-pw', at('10.2.0.99'));
    const home = await signIn(acme, 'john', 'john-secret-pw', at('10.2.0.1'));
    expect(home.ok).toBe(true);
    // The stranger got six guesses (the per-account limit), then every new address was refused,
    // john's own password at an address he never used included.
    expect(tally(stranger)).toEqual({ verified: 6, refused: 6 });
    expect(elsewhere).toMatchObject({ ok: false, status: 429 });
    // John's sign-in ended the run of failures: a new address may try again.
    expect((await signIn(acme, 'john', 'john-secret-pw', at('10.2.0.98'))).ok).toBe(true);
  });

  it("jill's junk attempts as jill$junk0..N from a stranger's address do not lock jill out from her own known address", async () => {
    expect((await signIn(acme, 'jill$john', 'jill-secret-pw', at('10.3.0.1'))).ok).toBe(true);
    const stranger: number[] = [];
    const browser = new Browser();
    const form = await openLoginForm(gamma, browser);
    for (let i = 0; i < 9; i++) {
      stranger.push((await postLogin(browser, form, { tenant: 'gamma', username: `jill$junk${i}`, password: `guess-${i}` }, `10.3.6.${1 + Math.floor(i / 3)}`)).status);
    }
    const elsewhere = await signIn(acme, 'jill$john', 'jill-secret-pw', at('10.3.0.99'));
    expect((await signIn(acme, 'jill$john', 'jill-secret-pw', at('10.3.0.1'))).ok).toBe(true);
    expect((await signIn(beta, 'jill$bea', 'jill-secret-pw', at('10.3.0.1'))).ok).toBe(true);
    // Her own management login shares her account's counters and her known address.
    for (let i = 0; i < 4; i++) await postLogin(browser, form, { tenant: 'gamma', username: `jill$junk${i}`, password: `guess-${i}` }, `10.3.7.${i}`);
    expect((await signIn(management, 'jill', 'jill-secret-pw', at('10.3.0.1'))).ok).toBe(true);
    // Support accounts are stricter: two guesses per address, four in all, then new places are refused.
    expect(tally(stranger)).toEqual({ verified: 4, refused: 5 });
    expect(elsewhere).toMatchObject({ ok: false, status: 429 });
  });

  it('locks an account at one address after its failures, even for the right password, and says for how long', async () => {
    for (let i = 0; i < 3; i++) expect(await signIn(acme, 'kim', `wrong-${i}-password`, at('10.4.0.1'))).toMatchObject({ ok: false, status: 401 });
    expect(await signIn(acme, 'kim', 'kim-secret-pw', at('10.4.0.1'))).toMatchObject({ ok: false, status: 429, error: 'Too many failed sign-ins. Try again in 10 minutes.' });
    // Another address is not locked out by them.
    expect((await signIn(acme, 'kim', 'kim-secret-pw', at('10.4.0.2'))).ok).toBe(true);
    // An unknown account is counted the same way: nothing tells whether it exists.
    for (let i = 0; i < 3; i++) expect(await signIn(acme, 'nobody-else', `wrong-${i}-password`, at('10.4.0.3'))).toMatchObject({ status: 401 });
    expect(await signIn(acme, 'nobody-else', 'anything-at-all', at('10.4.0.3'))).toMatchObject({ status: 429 });
  });

  it("counts a support user's failures across tenants, and resets them once her password verified", async () => {
    // Two failures per address for a support account, wherever they were tried.
    expect(await signIn(acme, 'sue$john', 'wrong-password-1', at('10.5.0.1'))).toMatchObject({ status: 401 });
    expect(await signIn(beta, 'sue$bea', 'wrong-password-2', at('10.5.0.1'))).toMatchObject({ status: 401 });
    expect(await signIn(acme, 'sue$admin', 'sue-secret-pw', at('10.5.0.1'))).toMatchObject({ status: 429 });
    // A success resets them.
    expect(await signIn(acme, 'sue$john', 'wrong-password-3', at('10.5.0.2'))).toMatchObject({ status: 401 });
    expect((await signIn(acme, 'sue$admin', 'sue-secret-pw', at('10.5.0.2'))).ok).toBe(true);
    expect(await signIn(acme, 'sue$john', 'wrong-password-4', at('10.5.0.2'))).toMatchObject({ status: 401 });
    // So does a refusal that names its cause (her password verified): gamma is outside her scope.
    expect(await signIn(gamma, 'sue$gus', 'sue-secret-pw', at('10.5.0.2'))).toMatchObject({ status: 401, error: 'not permitted for this tenant' });
    expect(await signIn(acme, 'sue$john', 'wrong-password-5', at('10.5.0.2'))).toMatchObject({ status: 401 });
  });

  it('refuses a per-account limit above 100 consecutive failures (NIST SP 800-63B)', () => {
    expect(() => testConfig('limits-config', { LOGIN_MAX_FAILURES_PER_ACCOUNT: '101', LOGIN_SUPPORT_MAX_FAILURES_PER_ACCOUNT: '101' })).toThrow(
      /login\.maxFailuresPerAccount \(LOGIN_MAX_FAILURES_PER_ACCOUNT\): must be at most 100.*login\.supportMaxFailuresPerAccount \(LOGIN_SUPPORT_MAX_FAILURES_PER_ACCOUNT\): must be at most 100/,
    );
    expect(testConfig('limits-config', { LOGIN_MAX_FAILURES_PER_ACCOUNT: '100' }).login.maxFailuresPerAccount).toBe(100);
  });
});
