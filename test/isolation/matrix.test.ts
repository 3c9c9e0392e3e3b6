import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { operatorAdmin } from '../../src/admin/index.js';
import { oidcWorld, type OidcWorld } from '../oidc/setup.js';
import { authorize, bounded, exchangeCode, introspect, refresh, tokensFor, userinfo, type AppClient, type Authorized, type Use } from './flows.js';

// Issue 10: the isolation matrix. Who (a row) does what (an operation) where (the tenant's own
// issuer, another tenant's, management's). Every expectation below is written from SPEC §2-§4,
// not read off the code; a cell that differs is marked `!`, and the test wants none.

const OPS = ['login', 'token', 'refresh', 'userinfo', 'introspection'] as const;
const PLACES = ['same tenant', 'other tenant', 'management'] as const;
type Op = (typeof OPS)[number];
type Place = (typeof PLACES)[number];
type TokenOp = Exclude<Op, 'login'>;
const TOKEN_OPS: TokenOp[] = ['token', 'refresh', 'userinfo', 'introspection'];

const all = (v: boolean): Record<Op, boolean> => ({ login: v, token: v, refresh: v, userinfo: v, introspection: v });
const REFUSED = all(false);
const ALLOWED = all(true);

interface Typed {
  username: string;
  tenantField?: string;
}

interface Row {
  label: string;
  /** The tenant its tokens are obtained at (while it is allowed there). */
  home: string;
  /** Who signs in at home to obtain them, with whose password. */
  signIn: Typed & { password: string };
  /** Which tenant's issuer each column is. */
  at: Record<Place, string>;
  /** What a person of this row may type at each column's login screen; one let in lets the cell in. */
  logins: Record<Place, Typed[]>;
  /** From SPEC: allowed (true) or refused (false). */
  expected: Record<Place, Record<Op, boolean>>;
  /** Makes the row's state, after its tokens were obtained while allowed. */
  change?: () => Promise<void>;
}

/** The attempts a support user `s` may make at tenants that never allowed it. */
const supportElsewhere = (s: string, home: string): Pick<Row['logins'], 'other tenant' | 'management'> => ({
  // beta: in every support user's scope, but beta never opened a request.
  'other tenant': [{ username: `${s}$bea` }, { username: `${s}$` }, { username: `${s}$john` }, { username: `${home}/${s}$john` }, { username: `${s}$john`, tenantField: home }],
  'management': [{ username: `${s}$pat` }, { username: `${s}$` }, { username: `management/${s}$pat` }, { username: `${s}$john`, tenantField: home }],
});

describe('the isolation matrix: who × where × what', () => {
  let world: OidcWorld;
  let apps: Record<string, AppClient>;
  /** The expired row's window ends here (epoch ms). */
  let expiredEnd = 0;
  // Long enough for every row's sign-ins while Chromium, Apache and cluster suites share the two
  // cores (6 s ran out under a full run, then 15 s once the relying-party suites joined).
  const WINDOW_MS = 30_000;
  const pw = (u: string) => `${u}-secret-pw`;

  beforeAll(async () => {
    world = await oidcWorld('isolation-matrix', {
      // Every browser has its own address and the limits are wide: no cell is refused by a sign-in limit.
      TRUST_PROXY: 'loopback',
      LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS: '1000',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
      LOGIN_SUPPORT_MAX_FAILURES_PER_ACCOUNT_ADDRESS: '1000',
    });
    const { ops } = world;
    apps = { ...world.clients };
    const port = new URL(world.url).port;
    const consoleUri = `http://localhost:${Number(port) + 1}/management/callback`;
    const { clientSecret } = await ops.createClient({ tenant: 'management', clientId: 'console', redirectUris: [consoleUri], firstParty: true });
    apps.management = { id: 'console', secret: clientSecret!, redirectUri: consoleUri };
    // gamma (closed window) and delta (expired window) have windows of their own, apart from acme's.
    for (const tenant of ['gamma', 'delta']) {
      await ops.createTenant({ id: tenant });
      await ops.createUser({ tenant, username: 'john', password: pw('john') });
      await ops.createUser({ tenant, username: 'admin', password: pw('admin'), roles: ['tenant-admin'] });
      const redirectUri = world.clients.acme!.redirectUri.replace('/acme/', `/${tenant}/`);
      const created = await ops.createClient({ tenant, clientId: `${tenant}-app`, redirectUris: [redirectUri], firstParty: true });
      apps[tenant] = { id: `${tenant}-app`, secret: created.clientSecret!, redirectUri };
    }
    // One support user a row, so changing one row's user leaves the others alone.
    for (const [name, scope] of [['sam', ['acme', 'beta']], ['dora', ['acme', 'beta']], ['cleo', ['gamma', 'beta']], ['evan', ['delta', 'beta']]] as const) {
      await ops.createUser({ tenant: 'management', username: name, password: pw(name), roles: ['support'], scope: [...scope] });
    }
    // acme allows support (john asked); beta never does; gamma will close; delta's one-hour
    // request was opened an hour ago less WINDOW_MS, so it expires WINDOW_MS from now.
    await ops.openSupport({ tenant: 'acme', username: 'john', hours: 2 });
    await ops.openSupport({ tenant: 'gamma', username: 'john', hours: 2 });
    expiredEnd = Date.now() + WINDOW_MS;
    const earlier = operatorAdmin({ ...world.gateway.domain, clock: { now: () => Date.now() - 3_600_000 + WINDOW_MS } }, { who: 'cli:test', actor: null, channel: 'cli' });
    await earlier.openSupport({ tenant: 'delta', username: 'john', hours: 1 });
  }, 30_000);
  afterAll(async () => world?.stop());

  const rows = (): Row[] => {
    const support = (label: string, s: string, home: string, expected: Row['expected'], change?: () => Promise<void>): Row => ({
      label,
      home,
      signIn: { username: `${s}$john`, password: pw(s) },
      at: { 'same tenant': home, 'other tenant': 'beta', 'management': 'management' },
      logins: { 'same tenant': [{ username: `${s}$john` }, { username: `${s}$` }], ...supportElsewhere(s, home) },
      expected,
      ...(change ? { change } : {}),
    });
    // §2 "existing support sessions, access tokens and refresh tokens stop working on their next
    // use ... The same happens to a support user's sessions when that support user is disabled,
    // loses role support, or loses the tenant from its scope": after each change, nothing works.
    const ended = { 'same tenant': REFUSED, 'other tenant': REFUSED, 'management': REFUSED };
    return [
      {
        // §3 `john`: user john of the tenant; §4 each tenant is its own issuer; a client's users come from its tenant only.
        label: 'ordinary (john of acme)',
        home: 'acme',
        signIn: { username: 'john', password: pw('john') },
        at: { 'same tenant': 'acme', 'other tenant': 'beta', 'management': 'management' },
        logins: {
          'same tenant': [{ username: 'john' }],
          'other tenant': [{ username: 'john' }, { username: 'acme/john' }, { username: 'john', tenantField: 'acme' }],
          'management': [{ username: 'john' }, { username: 'acme/john' }, { username: 'john', tenantField: 'acme' }],
        },
        expected: { 'same tenant': ALLOWED, 'other tenant': REFUSED, 'management': REFUSED },
      },
      {
        // §1/§2 management holds the platform admins: pat is an ordinary user there, and of no other tenant.
        label: 'ordinary (pat of management)',
        home: 'management',
        signIn: { username: 'pat', password: pw('pat') },
        at: { 'same tenant': 'management', 'other tenant': 'acme', 'management': 'management' },
        logins: {
          'same tenant': [{ username: 'pat' }],
          'other tenant': [{ username: 'pat' }, { username: 'management/pat' }, { username: 'pat', tenantField: 'management' }],
          'management': [{ username: 'pat' }],
        },
        expected: { 'same tenant': ALLOWED, 'other tenant': REFUSED, 'management': ALLOWED },
      },
      // §3 a support login succeeds only when the tenant is in scope and its window is open;
      // §2 management is never a support target; §4 tokens belong to the issuer that issued them.
      support('support in scope (jill)', 'jill', 'acme', { 'same tenant': ALLOWED, 'other tenant': REFUSED, 'management': REFUSED }),
      support('support out of scope (sam)', 'sam', 'acme', ended, async () => void (await world.ops.setUser({ tenant: 'management', username: 'sam', scope: ['beta'] }))),
      support('disabled support user (dora)', 'dora', 'acme', ended, async () => void (await world.ops.setUser({ tenant: 'management', username: 'dora', enabled: false }))),
      support('closed window (cleo)', 'cleo', 'gamma', ended, async () => void (await world.ops.closeSupport({ tenant: 'gamma', username: 'admin' }))),
      support('expired window (evan)', 'evan', 'delta', ended, async () => {
        await new Promise((r) => setTimeout(r, Math.max(0, expiredEnd + 300 - Date.now())));
      }),
    ];
  };

  it('lets every row do exactly what SPEC allows, and nothing else (0 unexpected cells)', async () => {
    const table = rows();
    const issuer = (tenant: string) => world.issuer(tenant);

    // 1. While each row is allowed at home: one sign-in per token cell, each in its own browser
    //    (its own session), so what one cell's use triggers cannot decide another cell. The
    //    expired row goes first: its window is short.
    const order = [...table].sort((a, b) => (a.label.startsWith('expired') ? -1 : 0) - (b.label.startsWith('expired') ? -1 : 0));
    const jobs = order.flatMap((row) => PLACES.flatMap((place) => TOKEN_OPS.map((op) => ({ row, place, op }))));
    const obtained = new Map<string, { a: Authorized & { ok: true }; tokens?: { access_token: string; refresh_token: string } }>();
    const key = (row: Row, place: Place, op: Op) => `${row.label}|${place}|${op}`;
    await bounded(jobs, 4, async ({ row, place, op }) => {
      const a = await authorize(issuer(row.home), apps[row.home]!, row.signIn.username, row.signIn.password);
      if (!a.ok) throw new Error(`${row.label}: no sign-in at ${row.home} while allowed: ${a.why}`);
      // The token cell presents the code itself; the others present tokens got from it at home.
      obtained.set(key(row, place, op), op === 'token' ? { a } : { a, tokens: await tokensFor(issuer(row.home), apps[row.home]!, a) });
    });
    expect(Date.now()).toBeLessThan(expiredEnd);

    // 2. Each row's state: scope lost, user disabled, window closed, window expired.
    await Promise.all(table.map((row) => row.change?.()));

    // 3. Every cell, with every way in that the row's person or token holder has.
    type Cell = { row: Row; place: Place; op: Op; allowed: boolean; said: string[] };
    const cells: Cell[] = table.flatMap((row) => PLACES.flatMap((place) => OPS.map((op) => ({ row, place, op, allowed: false, said: [] as string[] }))));
    await bounded(cells, 4, async (cell) => {
      const { row, place, op } = cell;
      const tenant = row.at[place];
      const here = apps[tenant]!;
      const home = apps[row.home]!;
      // At a foreign issuer, the token is tried with that issuer's client and with the home client's credentials.
      const clientsHere = tenant === row.home ? [here] : [here, home];
      const uses: Use[] = [];
      if (op === 'login') {
        for (const t of row.logins[place]) {
          const a = await authorize(issuer(tenant), here, t.username, row.signIn.password, t.tenantField);
          uses.push({ passed: a.ok, said: `${t.username}${t.tenantField ? ` [${t.tenantField}]` : ''}: ${a.ok ? 'code' : a.why}` });
        }
      } else {
        const { a, tokens } = obtained.get(key(row, place, op))!;
        if (op === 'token') for (const c of clientsHere) uses.push(await exchangeCode(issuer(tenant), c, a.code, a.verifier, home.redirectUri));
        if (op === 'refresh') for (const c of clientsHere) uses.push(await refresh(issuer(tenant), c, tokens!.refresh_token));
        if (op === 'userinfo') uses.push(await userinfo(issuer(tenant), tokens!.access_token));
        if (op === 'introspection') for (const c of clientsHere) uses.push(await introspect(issuer(tenant), c, tokens!.access_token));
      }
      cell.allowed = uses.some((u) => u.passed);
      cell.said = uses.map((u) => u.said);
    });

    // 4. The table: ✓ allowed, ✗ refused, ! where it differs from SPEC.
    const mark = (c: Cell) => `${c.allowed ? '✓' : '✗'}${c.allowed !== c.row.expected[c.place][c.op] ? '!' : ' '}`;
    const unexpected = cells.filter((c) => c.allowed !== c.row.expected[c.place][c.op]);
    const w = Math.max(...table.map((r) => r.label.length)) + 1;
    const head = PLACES.map((p) => p.padEnd(15)).join('| ');
    const sub = PLACES.map(() => 'L  T  R  U  I  ').join('| ');
    const lines = [
      `isolation matrix (L login, T token = code exchange, R refresh, U userinfo, I introspection; ✓ allowed, ✗ refused, ! unexpected)`,
      `${''.padEnd(w)}| ${head}`,
      `${''.padEnd(w)}| ${sub}`,
      ...table.map(
        (row) =>
          `${row.label.padEnd(w)}| ${PLACES.map((p) =>
            OPS.map((op) => `${mark(cells.find((c) => c.row === row && c.place === p && c.op === op)!)} `).join(''),
          ).join('| ')}  (${PLACES.map((p) => row.at[p]).join(', ')})`,
      ),
      `${cells.length} cells, ${unexpected.length} unexpected`,
      ...unexpected.map((c) => `  ! ${c.row.label} × ${c.place} (${c.row.at[c.place]}) × ${c.op}: expected ${c.row.expected[c.place][c.op] ? 'allowed' : 'refused'}, got ${c.said.join('; ')}`),
    ];
    // SG_MATRIX_DETAIL=1 prints what every cell's attempts answered.
    if (process.env.SG_MATRIX_DETAIL) lines.push(...cells.map((c) => `  ${c.row.label} × ${c.place} × ${c.op}: ${c.said.join('; ')}`));
    console.log(lines.join('\n'));
    // No refusal may be a sign-in limit or a server error: those would hide what the cell is about.
    const noisy = cells.flatMap((c) => c.said.filter((s) => /^(429|5\d\d)\b|: (429|5\d\d)\b/.test(s)).map((s) => `${c.row.label} × ${c.place} × ${c.op}: ${s}`));
    expect(noisy).toEqual([]);
    expect(unexpected.map((c) => `${c.row.label} × ${c.place} × ${c.op}`)).toEqual([]);
  }, 75_000);
});
