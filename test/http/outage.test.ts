import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import * as client from 'openid-client';
import { relyingParty, signIn, type RelyingParty } from '../../bench/oidc-client.js';
import type { AuditAction } from '../../src/audit/entry.js';
import { queryEntries } from '../../src/audit/query.js';
import { createLogger } from '../../src/logger.js';
import { startGateway } from '../../src/main.js';
import { oidcWorld, type OidcWorld } from '../oidc/setup.js';
import { testConfig } from '../support/env.js';
import { startRedisProcess, type RedisProcess } from '../support/redis-server.js';
import { RequestLog, type Answer } from '../support/request-log.js';

// Issue 10's outage test: the gateway's own Redis fails for ~3 s under a bounded load of logins,
// token uses and audited admin actions, then comes back on the same data.
const COMMAND_TIMEOUT_MS = 500;
// The acceptance bound of issue 10: every refusal within the command timeout + 500 ms. It is the
// only timed assertion here. A refusal takes milliseconds while Redis is known to be down, and at
// most one command timeout while the client finds out; the 500 ms above that is room for two busy
// cores, so the bound fails only when a request waits on Redis (a queue, a retry loop, a timeout
// per command).
const REFUSAL_BOUND_MS = COMMAND_TIMEOUT_MS + 500;
const OUTAGE_MS = 3000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How the gateway said "not now" (null: the answer is no refusal). */
function refusalOf(a: Answer): string | null {
  if (a.status >= 500 || a.status === 0) return `${a.status}`;
  if (a.location?.includes('error=temporarily_unavailable')) return 'redirect';
  return null;
}

/** What is wrong with a refusal: it must be a 503 with Retry-After, in the words its caller understands. */
function problemOf(a: Answer): string | null {
  const where = `${a.method} ${a.path}`;
  if (refusalOf(a) === 'redirect') return null;
  if (a.status !== 503) return `${where}: status ${a.status} ${a.body.slice(0, 120)}`;
  if (!a.retryAfter) return `${where}: 503 without Retry-After`;
  // Programs at the provider's endpoints get the OAuth error, people a page, other programs our JSON.
  if (/\/(token|token\/introspection|me)$/.test(a.path)) {
    return (JSON.parse(a.body) as { error?: string }).error === 'temporarily_unavailable' ? null : `${where}: ${a.body.slice(0, 120)}`;
  }
  if (a.contentType.startsWith('text/html')) return /<h1>[^<]+<\/h1>/.test(a.body) ? null : `${where}: a page without a heading`;
  return (JSON.parse(a.body) as { error?: string }).error === 'store_unavailable' ? null : `${where}: ${a.body.slice(0, 120)}`;
}

/** `GET /t/acme/interaction/:uid` rather than one line per interaction. */
const endpointOf = (a: Answer) => `${a.method} ${a.path.replace(/\/(interaction|auth)\/[^/]+/, '/$1/:uid')}`;

interface Fault {
  begin(): Promise<void>;
  /** Resolves once Redis answers again. */
  end(): Promise<void>;
}

describe('while the Redis of a gateway fails for a few seconds', () => {
  let redis: RedisProcess;
  let world: OidcWorld;
  let acme: RelyingParty;
  let log: RequestLog;

  beforeAll(async () => {
    // Every acknowledged write is on disk before its reply: a killed Redis comes back with it.
    redis = await startRedisProcess(['--appendonly', 'yes', '--appendfsync', 'always']);
    world = await oidcWorld('outage', { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) });
    acme = await relyingParty(world.issuer('acme'), world.clients.acme!.id, world.clients.acme!.secret, world.clients.acme!.redirectUri);
    log = new RequestLog(new URL(world.url).origin);
    log.install();
  }, 30_000);
  afterAll(async () => {
    log?.uninstall();
    await world?.stop();
    await redis?.stop();
  });

  const recorded = async (tenant: string, action: AuditAction): Promise<string[]> => {
    const d = world.gateway.domain;
    const found: string[] = [];
    for await (const { entry } of queryEntries({ audit: d.auditStore, tenants: d.tenants, users: d.users }, { tenant, action, outcome: 'success' })) found.push(entry.subject?.name ?? '');
    return found;
  };

  /** Runs the load, lets `fault` happen 1.5 s in, and reports what the clients saw. */
  async function underLoad(label: string, fault: Fault) {
    let running = true;
    const acked = { logins: 0, refreshes: 0, actions: [] as { action: AuditAction; name: string }[] };
    const refusedActions: number[] = [];
    const before = { logins: (await recorded('acme', 'login.succeeded')).length, refreshes: (await recorded('acme', 'token.refreshed')).length };
    const firstAnswer = log.answers.length;

    const loginLoop = async () => {
      while (running) {
        const login = await signIn(acme, 'john', 'john-secret-pw').catch(() => null);
        if (!login?.ok) {
          await sleep(20);
          continue;
        }
        acked.logins++;
        await client.tokenIntrospection(acme.config, login.tokens.access_token).catch(() => null);
        if (await client.refreshTokenGrant(acme.config, login.tokens.refresh_token!).catch(() => null)) acked.refreshes++;
      }
    };
    // One app keeps using its tokens: introspection and refresh, signing in again only when it must.
    const tokenLoop = async () => {
      let tokens: { access_token: string; refresh_token?: string | undefined } | null = null;
      while (running) {
        if (!tokens) {
          const login = await signIn(acme, 'john', 'john-secret-pw').catch(() => null);
          if (login?.ok) acked.logins++;
          tokens = login?.ok ? login.tokens : null;
          if (!tokens) await sleep(20);
          continue;
        }
        await client.tokenIntrospection(acme.config, tokens.access_token).catch(() => null);
        const refreshed = await client.refreshTokenGrant(acme.config, tokens.refresh_token!).catch((e: { error?: string }) => e);
        if ('access_token' in refreshed) {
          acked.refreshes++;
          tokens = { access_token: refreshed.access_token, refresh_token: refreshed.refresh_token ?? tokens.refresh_token };
        } else if (refreshed.error !== 'temporarily_unavailable') {
          tokens = null;
        }
      }
    };
    // Audited admin actions as the CLI runs them (world.ops is the operator's Admin).
    const actionLoop = async () => {
      for (let i = 0; running; i++) {
        const name = `${label}-${i}`;
        const started = log.now();
        try {
          await world.ops.createUser({ tenant: 'beta', username: name, password: 'load-secret-pw' });
          acked.actions.push({ action: 'user.created', name });
          await world.ops.setUser({ tenant: 'beta', username: name, enabled: false });
          acked.actions.push({ action: 'user.updated', name });
        } catch {
          refusedActions.push(log.now() - started);
          await sleep(20);
        }
      }
    };
    const readiness: { at: number; status: number }[] = [];
    const readyLoop = async () => {
      while (running) {
        const at = log.now();
        readiness.push({ at, status: (await fetch(`${world.url}/readyz`)).status });
        await sleep(100);
      }
    };

    const load = Promise.all([loginLoop(), loginLoop(), tokenLoop(), actionLoop(), readyLoop()]);
    await sleep(1500);
    const downFrom = log.now();
    await fault.begin();
    await sleep(OUTAGE_MS);
    const downTo = log.now();
    await fault.end();
    const upAt = log.now();
    // Recovered: ready again and tokens issued again, by the same gateway (no restart).
    let recoveredAt: number | null = null;
    while (recoveredAt === null && log.now() - upAt < 20_000) {
      const ready = readiness.some((r) => r.at > upAt && r.status === 200);
      if (ready && log.answers.some((a) => a.startedAt > upAt && a.path.endsWith('/token') && a.status === 200)) recoveredAt = log.now();
      else await sleep(50);
    }
    await sleep(1000);
    running = false;
    await load;

    const answers = log.answers.slice(firstAnswer);
    // (A /readyz 503 is the probe's answer, checked on its own, not a refused request.)
    const refusals = answers.filter((a) => a.path !== '/readyz' && refusalOf(a) !== null);
    const duringOutage = answers.filter((a) => a.startedAt >= downFrom && a.startedAt < downTo);
    const names: Record<string, Set<string>> = { 'user.created': new Set(await recorded('beta', 'user.created')), 'user.updated': new Set(await recorded('beta', 'user.updated')) };
    const firstDown = readiness.find((r) => r.at >= downFrom && r.status === 503);
    const max = (xs: number[]) => Math.round(Math.max(0, ...xs));
    const tally = new Map<string, number>();
    for (const a of refusals) tally.set(`${endpointOf(a)} ${a.status}`, (tally.get(`${endpointOf(a)} ${a.status}`) ?? 0) + 1);
    const report = {
      slow: [...refusals, ...duringOutage].filter((a) => a.ms > REFUSAL_BOUND_MS).map((a) => `${a.method} ${a.path} ${a.status} after ${Math.round(a.ms)} ms`),
      problems: refusals.map(problemOf).filter((p) => p !== null),
      refused: refusals.length,
      serverErrors: answers.filter((a) => a.status === 500).length,
      missing: acked.actions.filter((a) => !names[a.action]!.has(a.name)).map((a) => `${a.action} ${a.name}`),
      acked,
      entries: { logins: (await recorded('acme', 'login.succeeded')).length - before.logins, refreshes: (await recorded('acme', 'token.refreshed')).length - before.refreshes },
      firstDown,
      readyAfterFirstDown: readiness.filter((r) => firstDown && r.at >= firstDown.at && r.at < downTo && r.status === 200),
      recoveredAt,
      finallyReady: readiness.at(-1)?.status,
    };
    console.log(
      [
        `outage test, ${label} (command timeout ${COMMAND_TIMEOUT_MS} ms, bound ${REFUSAL_BOUND_MS} ms, Redis failing ${Math.round(downTo - downFrom)} ms):`,
        `  requests ${answers.length}, refused ${refusals.length}, 500s ${report.serverErrors}; max refusal latency ${max(refusals.map((a) => a.ms))} ms; max latency of a request started during the outage ${max(duringOutage.map((a) => a.ms))} ms`,
        `  refusals: ${[...tally].map(([k, n]) => `${k} ×${n}`).join(', ')}`,
        `  admin actions acknowledged ${acked.actions.length}, refused ${refusedActions.length} (max ${max(refusedActions)} ms), acknowledged but missing from the audit ${report.missing.length}`,
        `  logins acknowledged ${acked.logins} (entries ${report.entries.logins}), refreshes acknowledged ${acked.refreshes} (entries ${report.entries.refreshes})`,
        `  /readyz 503 ${firstDown ? Math.round(firstDown.at - downFrom) : '-'} ms after the fault; recovered (ready, tokens issued) ${recoveredAt === null ? 'never' : `${((recoveredAt - upAt) / 1000).toFixed(2)} s`} after Redis answered again`,
      ].join('\n'),
    );
    return report;
  }

  /** Issue 10's acceptance, for one fault. */
  function expectFailFast(report: Awaited<ReturnType<typeof underLoad>>) {
    expect(report.slow).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(report.refused).toBeGreaterThan(0);
    expect(report.serverErrors).toBe(0);
    expect(report.missing).toEqual([]);
    expect(report.entries.logins).toBeGreaterThanOrEqual(report.acked.logins);
    expect(report.entries.refreshes).toBeGreaterThanOrEqual(report.acked.refreshes);
    expect(report.firstDown).toBeDefined();
    expect(report.readyAfterFirstDown).toEqual([]);
    expect(report.recoveredAt).not.toBeNull();
    expect(report.finallyReady).toBe(200);
  }

  it('Redis killed and started again: refusals within the command timeout + 500 ms as 503 / temporarily_unavailable, no acknowledged action missing from the audit, recovery without a restart', async () => {
    expectFailFast(await underLoad('killed', { begin: () => redis.stop(), end: () => redis.start() }));
  }, 60_000);

  it('Redis that stops answering (connections open, no replies): the same, one command timeout at most', async () => {
    const admin = new Redis(redis.url);
    try {
      // CLIENT PAUSE ALL holds every client's commands, PING and new connections' handshakes included.
      const fault: Fault = {
        begin: async () => void (await admin.call('CLIENT', 'PAUSE', String(OUTAGE_MS), 'ALL')),
        end: async () => {
          while ((await admin.ping().catch(() => null)) !== 'PONG') await sleep(20);
        },
      };
      expectFailFast(await underLoad('paused', fault));
    } finally {
      admin.disconnect();
    }
  }, 60_000);
});

describe('a gateway stopped while its Redis is down', () => {
  it('stops (it does not wait for a Redis that is not there)', async () => {
    const redis = await startRedisProcess();
    const gateway = await startGateway(testConfig('outage-stop', { REDIS_URL: redis.url }), { logger: createLogger({ logLevel: 'error', logFormat: 'json' }, new PassThrough()) });
    for (let i = 0; i < 100 && (await fetch(`${gateway.url}/readyz`)).status !== 200; i++) await sleep(50);
    await redis.stop();
    for (let i = 0; i < 100 && (await fetch(`${gateway.url}/readyz`)).status !== 503; i++) await sleep(50);
    await expect(gateway.stop()).resolves.toBeUndefined();
  });
});
