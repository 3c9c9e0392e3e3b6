import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Browser } from '../../bench/oidc-client.js';
import { oidcWorld, type OidcWorld } from '../oidc/setup.js';
import {
  acceptHeader, address, anyText, bodyOf, bounded, clearRefusal, encodeFields, fieldsAround, fuzzInLanes, headerText, OAUTH_ERRORS, oauthError, pct, send, transport,
  type Answer, type Fields, type Transport,
} from './http.js';

// Issue 10, fuzzing (b)-(d) through the real gateway on real Redis: the login form, the OIDC
// authorization and token parameters, and JSON bodies posted where the gateway takes bodies.
// Every answer: no 5xx, within ANSWER_WITHIN_MS, and a refusal a person or a program can act on
// (a page with a message, a standard OAuth error, or a redirect to a registered URI carrying one).
// FUZZ_SEED=<n> replays a run; each lane's seed is FUZZ_SEED + lane.

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000_000);
const LANES = 4;
const RUNS = { loginForm: 1200, authorize: 700, token: 700, tokenUse: 400, json: 400 };
const counts: Record<string, number> = {};
/** What the gateway answered, per kind of case: shows the fuzzers reach past the first check. */
const statuses: Record<string, Record<number, number>> = {};
const slowest: Record<string, number> = {};
const seen = (kind: string, a: Answer) => {
  const s = (statuses[kind] ??= {});
  s[a.status] = (s[a.status] ?? 0) + 1;
  slowest[kind] = Math.max(slowest[kind] ?? 0, a.ms);
};
const pw = (u: string) => `${u}-secret-pw`;
const PASSWORDS = ['john', 'admin', 'jill', 'pat', 'bea'].map(pw);

/** The login form of a fresh interaction at acme, as a browser holds it. */
interface Lane {
  browser: Browser;
  action: string;
  csrf: string;
}

describe('the gateway under fuzzed requests', () => {
  let world: OidcWorld;
  let acme: { id: string; secret: string; redirectUri: string };
  let issuer: string;
  const lanes: Lane[] = [];
  const CSRF = '\u0000valid-csrf\u0000';

  const openForm = async (): Promise<Lane> => {
    const browser = new Browser();
    const url = `${issuer}/auth?${new URLSearchParams({ client_id: acme.id, response_type: 'code', scope: 'openid', redirect_uri: acme.redirectUri, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`;
    const { url: at, res } = await browser.follow(url, acme.redirectUri);
    const html = await res.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !csrf) throw new Error(`no login form (${res.status})`);
    return { browser, action: new URL(action.replace(/&amp;/g, '&'), at).toString(), csrf };
  };

  beforeAll(async () => {
    world = await oidcWorld('fuzz-gateway', {
      // Each case comes from an address of its own; the limits stay on (a 429 page is a fine answer).
      TRUST_PROXY: 'loopback',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
    });
    acme = world.clients.acme!;
    issuer = world.issuer('acme');
    // Support is open at acme, so fuzzed jill$john logins reach every step of the support path.
    await world.ops.openSupport({ tenant: 'acme', username: 'john', hours: 2 });
    for (let i = 0; i < LANES; i++) lanes.push(await openForm());
    console.log(`gateway fuzzing: FUZZ_SEED=${SEED}`);
  }, 30_000);

  afterAll(async () => {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const spread = Object.entries(statuses).map(([k, s]) => `  ${k}: ${Object.entries(s).map(([status, n]) => `${status}×${n}`).join(' ')} (slowest ${slowest[k]} ms)`);
    console.log([`gateway fuzzing: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}; ${total} HTTP cases (FUZZ_SEED=${SEED})`, ...spread].join('\n'));
    await world?.stop();
  });

  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${pct(id)}:${pct(secret)}`).toString('base64')}`;
  const sentText = (fields: Fields, ...more: Array<string | null | undefined>) => [...fields.flat(), ...more].join('\n');
  const describeCase = (what: string, a: Answer, v: unknown) => `${what}: ${JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? `<${x.length} bytes>` : typeof x === 'string' && x.length > 120 ? `${x.slice(0, 120)}…(${x.length})` : x)).slice(0, 1500)} → ${a.status} ${a.type} ${a.body.slice(0, 300)}`;

  // ---- (b) the login form ----

  /** Where the form is posted: its own interaction, another (made-up) one, or a made-up tenant's. */
  type LoginPath = { uid?: string; tenant?: string };
  const loginCase = fc.record({
    fields: fieldsAround({
      csrf: fc.constant(CSRF),
      tenant: fc.constantFrom('acme', '', 'beta', 'management', 'ACME', ' acme '),
      username: fc.constantFrom('john', 'admin', 'JOHN', 'ｊｏｈｎ', ' john ', 'jill$john', 'jill$', 'acme/john', 'acme/jill$john', 'beta/john', 'pat', 'jill$pat', '$john', '$', 'a$b$c'),
      password: fc.constantFrom(...PASSWORDS, 'wrong', ''),
    }),
    how: transport,
    accept: acceptHeader,
    from: address,
    userAgent: fc.option(headerText, { nil: undefined }),
    path: fc.oneof(
      { weight: 18, arbitrary: fc.constant<LoginPath>({}) },
      { weight: 1, arbitrary: anyText.map((uid): LoginPath => ({ uid })) },
      { weight: 1, arbitrary: anyText.map((tenant): LoginPath => ({ tenant })) },
    ),
  });

  it(`answers ${RUNS.loginForm} fuzzed login form POSTs with a page that says what went wrong, never a 5xx or a hang`, async () => {
    counts['login form'] = await fuzzInLanes(loginCase, RUNS.loginForm, LANES, SEED, async (v, lane) => {
      const form = lanes[lane]!;
      const fields: Fields = v.fields.map(([k, x]) => [k, x === CSRF ? form.csrf : x]);
      let url = form.action;
      if (v.path.uid !== undefined) url = url.replace(/\/interaction\/[^/]+\/login$/, `/interaction/${pct(v.path.uid)}/login`);
      if (v.path.tenant !== undefined) url = url.replace(/\/t\/acme\//, `/t/${pct(v.path.tenant)}/`);
      const { body, headers } = bodyOf(fields, v.how);
      const a = await sendFrom(form.browser, url, { method: 'POST', ...(body ? { body } : {}), headers: { ...headers, ...(v.accept ? { accept: v.accept } : {}), ...(v.userAgent !== undefined ? { 'user-agent': v.userAgent } : {}), 'x-forwarded-for': v.from } });
      seen('login form', a);
      const wrong = bounded(a) ?? (a.status >= 300 && a.status < 400 ? signedIn(a, fields, v.how) : a.status >= 400 ? clearRefusal(a, sentText(fields, v.path.uid, v.path.tenant)) : `status ${a.status}`);
      // A finished sign-in (or a spent interaction) needs a fresh form for the next case of this lane.
      if ((a.status >= 300 && a.status < 400) || a.body.includes('Sign-in expired')) lanes[lane] = await openForm();
      return wrong && describeCase(wrong, a, v);
    });
    expect(counts['login form']).toBeGreaterThanOrEqual(RUNS.loginForm);
  }, 60_000);

  /** A browser's request with its cookies, answered like `send`. */
  async function sendFrom(browser: Browser, url: string, init: RequestInit): Promise<Answer> {
    const start = Date.now();
    try {
      const res = await browser.request(url, { ...init, signal: AbortSignal.timeout(6000) });
      const body = await res.text();
      return { status: res.status, ms: Date.now() - start, type: res.headers.get('content-type') ?? '', body, location: res.headers.get('location') };
    } catch (err) {
      return { status: 0, ms: Date.now() - start, type: '', body: `no answer: ${(err as Error).message}`, location: null };
    }
  }

  /** A sign-in let through: only with a password that is someone's, sent as a proper form, and on to this tenant's authorization. */
  function signedIn(a: Answer, fields: Fields, how: Transport): string | null {
    const password = fields.filter(([k]) => k === 'password');
    if (password.length !== 1 || !PASSWORDS.includes(password[0]![1])) return `signed in without a known password (${a.status} → ${a.location})`;
    if (how.kind !== 'form' && how.kind !== 'form-charset' && how.kind !== 'encoding') return `signed in from a ${how.kind} body`;
    if (!a.location || !new URL(a.location, issuer).toString().startsWith(`${issuer}/auth/`)) return `signed in, but sent to ${a.location}`;
    return null;
  }

  // ---- (c) authorization and token endpoint parameters ----

  /** About a third of `fields`, chosen by the run (so a seed replays it). */
  const someOf = (fields: Fields): fc.Arbitrary<Fields> => fc.array(fc.nat(9), { minLength: fields.length, maxLength: fields.length }).map((dice) => fields.filter((_, i) => dice[i]! < 3));
  const challenge = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/);
  const authorizeCase = fc.record({
    fields: fieldsAround({
      client_id: fc.constantFrom('acme-app', 'beta-app', 'console', 'ACME-APP'),
      response_type: fc.constantFrom('code', 'code', 'code id_token', 'id_token', 'none', 'token', 'code token', 'id_token token'),
      scope: fc.constantFrom('openid', 'openid profile', 'openid offline_access', 'profile', 'openid email', 'openid openid'),
      redirect_uri: fc.constantFrom('ACME', 'ACME', 'ACME/x', 'ACME?x=1', 'http://evil.example/cb', 'BETA', 'javascript:alert(1)', '//evil.example'),
      code_challenge: challenge,
      code_challenge_method: fc.constantFrom('S256', 'plain', 's256'),
      state: anyText,
      nonce: anyText,
    }),
    optional: fieldsAround({
      prompt: fc.constantFrom('none', 'login', 'consent', 'select_account', 'none login', 'create'),
      response_mode: fc.constantFrom('query', 'fragment', 'form_post', 'jwt', 'query.jwt', 'web_message'),
      max_age: fc.constantFrom('0', '-1', 'abc', '99999999999999999999', '1.5'),
      claims: fc.constantFrom('{"userinfo":{"act":null}}', '{', '[]', '{"id_token":{"acr":{"essential":true,"values":["x"]}}}'),
      request: fc.constantFrom('eyJhbGciOiJub25lIn0.eyJjbGllbnRfaWQiOiJhY21lLWFwcCJ9.', 'a.b.c', 'x'),
      request_uri: fc.constantFrom('urn:ietf:params:oauth:request_uri:abc', 'urn:ietf:params:oauth:request_uri:', 'x'),
      id_token_hint: fc.constantFrom('eyJhbGciOiJSUzI1NiJ9.e30.x', 'x'),
      acr_values: fc.constantFrom('urn:mace:incommon:iap:silver', '0'),
      ui_locales: fc.constantFrom('de', 'x'),
      resource: fc.constantFrom('http://localhost/api', 'x'),
      authorization_details: fc.constantFrom('[]', '[{"type":"x"}]', '{'),
      dpop_jkt: fc.constantFrom('x', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'),
    }).chain(someOf),
    // POST at /auth is off (oidc-provider's default, see refusedBeforeTheApp); PAR takes the same parameters by POST.
    method: fc.constantFrom<'GET' | 'PAR'>('GET', 'GET', 'GET', 'PAR'),
    // One case in twenty keeps its huge values (a URL past 16 KiB is Node's 431); the rest are cut to fit.
    huge: fc.nat(19).map((n) => n === 0),
  });

  it(`answers ${RUNS.authorize} fuzzed authorization requests with the login, an error page, or a redirect to a registered URI carrying a standard error`, async () => {
    const registered = () => [acme.redirectUri];
    counts.authorize = await fuzzInLanes(authorizeCase, RUNS.authorize, LANES, SEED + 100, async (v) => {
      const fields: Fields = [...v.fields, ...v.optional].map(([k, x]) => [k, (v.huge ? x : x.slice(0, 500)).replace(/^ACME/, acme.redirectUri).replace(/^BETA/, world.clients.beta!.redirectUri)]);
      let a: Answer;
      if (v.method === 'GET') a = await send(`${issuer}/auth?${encodeFields(fields)}`);
      else {
        a = await send(`${issuer}/request`, { method: 'POST', body: encodeFields(fields), headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(acme.id, acme.secret) } });
        seen('PAR', a);
        const wrong = bounded(a) ?? (a.status === 201 && /"request_uri":"urn:ietf:params:oauth:request_uri:/.test(a.body) ? null : oauthError(a, sentText(fields)));
        return wrong && describeCase(`PAR: ${wrong}`, a, fields);
      }
      seen('authorize', a);
      const wrong = bounded(a) ?? authorizationAnswer(a, registered(), sentText(fields));
      return wrong && describeCase(wrong, a, { method: v.method, fields });
    });
    expect(counts.authorize).toBeGreaterThanOrEqual(RUNS.authorize);
  }, 60_000);

  /** The login (a valid request), a page with the reason, or the reason sent back to a registered redirect URI. */
  function authorizationAnswer(a: Answer, registered: string[], sent: string): string | null {
    const errorIn = (params: URLSearchParams, via: string) => {
      const error = params.get('error');
      if (!error) return `${via} without an error (${params.has('code') ? 'a code' : 'nothing'}) before any sign-in`;
      return OAUTH_ERRORS.has(error) ? null : `${via} with a non-standard error ${error}`;
    };
    if (a.status >= 300 && a.status < 400) {
      if (!a.location) return 'redirect without Location';
      const to = new URL(a.location, issuer);
      if (to.toString().startsWith(`${issuer}/interaction/`)) return null;
      if (!registered.includes(`${to.origin}${to.pathname}`)) return `redirect to an unregistered URI ${a.location}`;
      return errorIn(new URLSearchParams(to.search || to.hash.slice(1)), 'redirect');
    }
    // response_mode=form_post: the answer is a self-submitting form (its script allowed by the CSP's hash).
    if ((a.status === 200 || a.status === 400) && /<title>Submitting Callback<\/title>/.test(a.body)) {
      const action = /<form method="post" action="([^"]+)"/.exec(a.body)![1]!.replace(/&amp;/g, '&');
      if (!registered.includes(action)) return `form_post to an unregistered URI ${action}`;
      const params = new URLSearchParams([...a.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m): [string, string] => [m[1]!, m[2]!]));
      return errorIn(params, 'form_post');
    }
    if (a.status >= 400) return a.status === 404 ? `404 for ${a.body.slice(0, 100)}` : clearRefusal(a, sent);
    return `status ${a.status}`;
  }

  const authHeader = fc.oneof(
    fc.constant<string | null>(null),
    fc.constantFrom('acme', 'beta').map((t) => `AUTH:${t}`),
    fc.tuple(anyText, anyText).map(([id, secret]) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`),
    fc.tuple(anyText, anyText).map(([id, secret]) => `Basic ${Buffer.from(`${pct(id)}:${pct(secret)}`).toString('base64')}`),
    headerText.map((h) => `Basic ${h}`),
    headerText.map((h) => `Bearer ${h}`),
    headerText,
    fc.constantFrom('Basic', 'Basic ', 'Basic Og==', 'Basic YWNtZS1hcHA=', 'Basic YWNtZS1hcHA6', 'DPoP x'),
  );
  const dpopHeader = fc.oneof(
    { weight: 4, arbitrary: fc.constant<string | null>(null) },
    { weight: 1, arbitrary: headerText },
    { weight: 1, arbitrary: fc.constantFrom('eyJhbGciOiJFUzI1NiIsInR5cCI6ImRwb3Arand0In0.e30.x', 'a.b.c', 'eyJ9.eyJ9.eyJ9') },
  );
  /** Mostly acme's issuer; now and then another tenant's, management's, or one that does not exist. */
  const issuerTenant = fc.oneof(
    { weight: 12, arbitrary: fc.constant('acme') },
    { weight: 1, arbitrary: fc.constantFrom('beta', 'management', 'nope', 'ACME', 'a', 'x'.repeat(70), '%00') },
    { weight: 1, arbitrary: anyText.filter((t) => t !== '' && !/^\.{1,2}$/.test(t)) },
  );
  const authOf = (h: string | null) => (h === 'AUTH:acme' ? basic(acme.id, acme.secret) : h === 'AUTH:beta' ? basic('beta-app', world.clients.beta!.secret) : h);

  const tokenCase = fc.record({
    fields: fieldsAround({
      grant_type: fc.constantFrom('authorization_code', 'refresh_token', 'client_credentials', 'password', 'implicit', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:openid:params:grant-type:ciba', 'urn:ietf:params:oauth:grant-type:token-exchange'),
      code: fc.oneof(anyText, fc.stringMatching(/^[A-Za-z0-9_-]{43}$/)),
      redirect_uri: fc.constantFrom('ACME', 'http://evil.example/cb'),
      code_verifier: fc.stringMatching(/^[A-Za-z0-9_~.-]{43,128}$/),
      refresh_token: fc.oneof(anyText, fc.stringMatching(/^[A-Za-z0-9_-]{43}$/)),
      scope: fc.constantFrom('openid', 'openid offline_access', 'admin'),
      client_id: fc.constantFrom('acme-app', 'beta-app', ''),
      client_secret: fc.constantFrom('SECRET', 'wrong'),
      client_assertion_type: fc.constantFrom('urn:ietf:params:oauth:client-assertion-type:jwt-bearer'),
      client_assertion: fc.constantFrom('eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJhY21lLWFwcCIsInN1YiI6ImFjbWUtYXBwIn0.x', 'a.b.c', 'x'),
    }).chain((f) => someOf(f.filter(([k]) => k.startsWith('client_'))).map((kept) => [...f.filter(([k]) => !k.startsWith('client_')), ...kept])),
    tenant: issuerTenant,
    auth: authHeader,
    dpop: dpopHeader,
    how: fc.oneof({ weight: 6, arbitrary: fc.constant<Transport>({ kind: 'form' }) }, { weight: 1, arbitrary: transport }),
  });

  it(`answers ${RUNS.token} fuzzed token requests (grant parameters, client authentication, DPoP) with a standard OAuth error`, async () => {
    counts.token = await fuzzInLanes(tokenCase, RUNS.token, LANES, SEED + 200, async (v) => {
      const fields: Fields = v.fields.map(([k, x]) => [k, x.replace(/^ACME$/, acme.redirectUri).replace(/^SECRET$/, acme.secret)]);
      const { body, headers } = bodyOf(fields, v.how);
      const auth = authOf(v.auth);
      const a = await send(`${world.url}/t/${pct(v.tenant)}/token`, { method: 'POST', ...(body ? { body } : {}), headers: { ...headers, ...(auth ? { authorization: auth } : {}), ...(v.dpop ? { dpop: v.dpop } : {}) } });
      seen('token', a);
      const wrong = bounded(a) ?? (a.status === 200 ? 'a token for fuzzed parameters' : oauthError(a, sentText(fields, auth, v.dpop, v.tenant)));
      return wrong && describeCase(wrong, a, v);
    });
    expect(counts.token).toBeGreaterThanOrEqual(RUNS.token);
  }, 60_000);

  const tokenUseCase = fc.record({
    endpoint: fc.constantFrom('introspection', 'revocation', 'userinfo'),
    fields: fieldsAround({
      token: fc.oneof(anyText, fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), fc.constant('eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.e30.x')),
      token_type_hint: fc.constantFrom('access_token', 'refresh_token', 'id_token', 'x'),
    }),
    tenant: issuerTenant,
    auth: authHeader,
    get: fc.boolean(),
  });

  it(`answers ${RUNS.tokenUse} fuzzed introspection, revocation and userinfo requests with active:false, 200 (revocation) or a standard OAuth error`, async () => {
    counts['introspection/revocation/userinfo'] = await fuzzInLanes(tokenUseCase, RUNS.tokenUse, LANES, SEED + 300, async (v) => {
      const auth = authOf(v.auth);
      // The tenant is sent too (in the path): an answer may name it back.
      const sent = sentText(v.fields, auth, v.tenant);
      const issuer = `${world.url}/t/${pct(v.tenant)}`;
      let a: Answer;
      let wrong: string | null;
      if (v.endpoint === 'userinfo') {
        const token = v.fields.find(([k]) => k === 'token')?.[1] ?? '';
        const bearer = /^[\x20-\x7e]*$/.test(token) ? `Bearer ${token}` : auth;
        a = v.get ? await send(`${issuer}/me`, { headers: bearer ? { authorization: bearer } : {} }) : await send(`${issuer}/me`, { method: 'POST', body: encodeFields(v.fields), headers: { 'content-type': 'application/x-www-form-urlencoded', ...(bearer ? { authorization: bearer } : {}) } });
        wrong = bounded(a) ?? oauthError(a, `${sent}\n${bearer}`);
      } else {
        const path = v.endpoint === 'introspection' ? 'token/introspection' : 'token/revocation';
        a = await send(`${issuer}/${path}`, { method: 'POST', body: encodeFields(v.fields), headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) } });
        const fine = v.endpoint === 'introspection' ? a.status === 200 && a.body === '{"active":false}' : a.status === 200;
        wrong = bounded(a) ?? (fine ? null : oauthError(a, sent));
      }
      seen(v.endpoint, a);
      return wrong && describeCase(`${v.endpoint}: ${wrong}`, a, v);
    });
    expect(counts['introspection/revocation/userinfo']).toBeGreaterThanOrEqual(RUNS.tokenUse);
  }, 60_000);

  // ---- (d) JSON bodies ----

  const knownKeys = fc.constantFrom('grant_type', 'code', 'refresh_token', 'token', 'client_id', 'client_secret', 'redirect_uri', 'code_verifier', 'csrf', 'tenant', 'username', 'password', 'decision', 'response_type', 'scope', '__proto__', 'constructor');
  const jsonCase = fc.record({
    target: fc.constantFrom('token', 'token/introspection', 'token/revocation', 'request', 'me', 'session/end', 'session/end/confirm', 'LOGIN', 'CONSENT', 'reg', '/admin/users', '/t/nope/token'),
    body: fc.oneof(
      { weight: 3, arbitrary: fc.dictionary(knownKeys, fc.oneof(fc.constantFrom('refresh_token', 'authorization_code', 'acme-app', 'john', 'john-secret-pw', 'acme', 'allow'), fc.jsonValue({ maxDepth: 2 }))).map((o) => JSON.stringify(o)) },
      { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((j) => JSON.stringify(j)) },
      { weight: 1, arbitrary: anyText },
      { weight: 1, arbitrary: fc.constantFrom('{"a":', '[', '{"__proto__":{"admin":true}}', 'null', '""', `{"x":"${'y'.repeat(200_000)}"}`, '\u0000{}') },
    ),
    type: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'application/merge-patch+json', 'application/vnd.api+json', 'text/json'),
    auth: fc.boolean(),
  });

  it(`refuses ${RUNS.json} JSON bodies posted to every endpoint that takes a body with a 4xx and words, never a 2xx or a 5xx`, async () => {
    counts.json = await fuzzInLanes(jsonCase, RUNS.json, LANES, SEED + 400, async (v, lane) => {
      const form = lanes[lane]!;
      const url =
        v.target === 'LOGIN' ? form.action
        : v.target === 'CONSENT' ? form.action.replace(/\/login$/, '/consent')
        : v.target.startsWith('/') ? `${world.url}${v.target}`
        : `${issuer}/${v.target}`;
      const init = { method: 'POST', body: v.body, headers: { 'content-type': v.type, ...(v.auth ? { authorization: basic(acme.id, acme.secret) } : {}) } };
      const a = v.target === 'LOGIN' || v.target === 'CONSENT' ? await sendFrom(form.browser, url, init) : await send(url, init);
      seen('json', a);
      const oauth = ['token', 'token/introspection', 'token/revocation', 'request', 'me', '/t/nope/token'].includes(v.target);
      const wrong = bounded(a) ?? (a.status < 400 ? `accepted a JSON body (${a.status})` : oauth ? oauthError(a, v.body) : clearRefusal(a, v.body));
      return wrong && describeCase(`${v.target}: ${wrong}`, a, v);
    });
    expect(counts.json).toBeGreaterThanOrEqual(RUNS.json);
  }, 60_000);
});
