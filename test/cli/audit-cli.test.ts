import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { AuditEntry } from '../../src/audit/entry.js';
import { CSV_COLUMNS } from '../../src/audit/export.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { operatorAdmin } from '../../src/admin/index.js';
import { tenantKey } from '../../src/redis/keys.js';
import { ensureManagementTenant } from '../../src/tenants/tenants.js';
import { cli, cliEnv } from '../support/cli.js';
import { parseCsv } from '../support/csv.js';
import { dumpUnder, openDomain, testConfig } from '../support/env.js';
import { startRedisProcess, type RedisProcess } from '../support/redis-server.js';

const env = (extra: Record<string, string> = {}) => cliEnv('audit-cli', extra);

// Anything a terminal would act on: C0 (but the line feeds between rows), DEL, C1, bidi controls, line separators.
const TERMINAL_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]/;

/** A failed login whose typed username forges a second row and rewrites the terminal. */
const FORGED_ROW = 'mallory\n2026-01-01T00:00:00.000Z  acme    admin  login.succeeded  success  -  -';
const TERMINAL_ATTACK = '\x1b[2K\x1b[1A\x1b]0;owned\x07eve\u202e';

/** Records the failed logins a stranger could cause by typing these usernames into the login form. */
async function recordForgedLogins(e: NodeJS.ProcessEnv): Promise<void> {
  const { domain, close } = await openDomain(loadConfig({ env: e }));
  for (const who of [FORGED_ROW, TERMINAL_ATTACK]) {
    await domain.audit.record({ tenant: 'acme', who, action: 'login.failed', outcome: 'failure', cause: 'invalid\r\ncredentials', channel: 'login' });
  }
  await close();
}

async function entries(e: NodeJS.ProcessEnv, ...filters: string[]): Promise<AuditEntry[]> {
  const result = await cli(['audit', 'query', '--format', 'jsonl', ...filters], e);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  const found = result.stdout.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEntry);
  // An export records itself before its first entry leaves: drop this call's own entry when the filters let it through.
  return found[0]?.action === 'audit.exported' && found[0].details.format === 'jsonl' ? found.slice(1) : found;
}

describe('audited command line', () => {
  const processes: RedisProcess[] = [];
  afterAll(async () => Promise.all(processes.map((p) => p.stop())));

  it('writes one entry for every action of the foundation, and a failure entry with its cause for a refused one', async () => {
    const e = env();
    expect((await cli(['tenant', 'create', 'acme'], e)).code).toBe(0);
    expect((await cli(['user', 'create', 'acme', 'john', '--password-stdin'], e, 'john-secret-pw')).code).toBe(0);
    expect((await cli(['user', 'create', 'acme', 'John', '--password-stdin'], e, 'john-secret-pw')).code).toBe(1);
    expect((await cli(['user', 'set', 'acme', 'john', '--enabled', 'false'], e)).code).toBe(0);
    expect((await cli(['client', 'create', 'acme', 'portal', '--redirect-uri', 'https://p.example.com/cb'], e)).code).toBe(0);
    expect((await cli(['settings', 'set', 'support.mode', 'read-only'], e)).code).toBe(0);
    expect((await cli(['user', 'create', 'ghost-town', 'amy', '--password-stdin'], e, 'amy-secret-pw')).code).toBe(1);

    const acme = await entries(e, '--tenant', 'acme');
    expect(acme.map((x) => `${x.action} ${x.outcome}`).reverse()).toEqual([
      'tenant.created success',
      'user.created success',
      'user.created failure',
      'user.updated success',
      'client.created success',
    ]);
    expect(acme.every((x) => x.who.startsWith('cli:') && x.channel === 'cli')).toBe(true);
    const refused = acme.find((x) => x.outcome === 'failure')!;
    expect(refused).toMatchObject({ cause: 'username_taken: username "John" is already taken in tenant "acme"', subject: { type: 'user', name: 'John', tenant: 'acme' } });
    expect(acme.find((x) => x.action === 'user.updated')!.details).toMatchObject({ changed: ['enabled'], enabled: false });

    const management = await entries(e, '--tenant', 'management', '--action', 'settings.changed');
    expect(management[0]!.details).toEqual({ key: 'support.mode', before: 'full', after: 'read-only' });
    // A tenant that does not exist gets no log of its own: its failure lands in management's.
    const ghost = await entries(e, '--tenant', 'management', '--action', 'user.created', '--outcome', 'failure');
    expect(ghost[0]).toMatchObject({ cause: 'tenant_not_found: tenant "ghost-town" not found', details: { tenant: 'ghost-town' } });
  });

  it('records queries and exports themselves, and verifies the chain from the command line', async () => {
    const e = env();
    await cli(['tenant', 'create', 'acme'], e);
    const page = await cli(['audit', 'query', '--tenant', 'acme', '--json'], e);
    expect(JSON.parse(page.stdout)).toMatchObject({ entries: [{ action: 'tenant.created' }], nextCursor: null });
    await cli(['audit', 'query', '--tenant', 'acme', '--format', 'csv'], e);
    const own = await entries(e, '--tenant', 'acme', '--action', 'audit.*');
    expect(own.map((x) => x.action)).toEqual(['audit.exported', 'audit.queried']);
    expect(own[0]!.details).toMatchObject({ tenant: 'acme', format: 'csv' });
    expect(own[1]!.details).toMatchObject({ tenant: 'acme', returned: 1, limit: 100 });

    const verify = await cli(['audit', 'verify'], e);
    expect(verify.code).toBe(0);
    expect(verify.stdout.trimEnd().split('\n').sort()).toEqual(['acme: OK (4 entries, positions 1-4)', 'management: OK (0 entries)']);
  });

  it('reports a tampered log with its position and exits non-zero', async () => {
    const e = env();
    await cli(['tenant', 'create', 'acme'], e);
    for (const u of ['ann', 'bob', 'cyd']) await cli(['user', 'create', 'acme', u, '--password-stdin'], e, 'long-enough-pw');
    const redis = new Redis(e.REDIS_URL!);
    const key = tenantKey(e.REDIS_PREFIX!, 'acme', 'audit');
    const [, second] = (await redis.xrange(key, '-', '+')) as [string, string[]][];
    const edited = JSON.parse(second![1][5]!) as AuditEntry;
    edited.subject!.name = 'mallory';
    // Streams only append: rewrite the second entry's fields in place with a Lua-free trick.
    const all = (await redis.xrange(key, '-', '+')) as [string, string[]][];
    await redis.del(key);
    for (const [id, fields] of all) await redis.xadd(key, id, ...(id === second![0] ? ['seq', '2', 'h', edited.hash, 'e', JSON.stringify(edited)] : fields));
    await redis.quit();
    const verify = await cli(['audit', 'verify', '--tenant', 'acme'], e);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toBe(`acme: BROKEN at position 2 (id ${second![0]}): the entry was changed: its hash does not match its content\n`);
    expect(verify.stderr).toBe('supportgate: the audit log of acme failed verification\n');
  });

  it('exports CSV with one header row and JSON lines that parse, with combined filters', async () => {
    const e = env();
    await cli(['tenant', 'create', 'acme'], e);
    for (const u of ['ann', 'bob', 'ann']) await cli(['user', 'create', 'acme', u, '--password-stdin'], e, 'long-enough-pw');
    const csv = await cli(['audit', 'query', '--tenant', 'acme', '--action', 'user.created', '--format', 'csv'], e);
    const rows = parseCsv(csv.stdout);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows.slice(1).map((r) => `${r[6]} ${r[14]}`)).toEqual(['failure ann', 'success bob', 'success ann']);
    const failures = await entries(e, '--tenant', 'acme', '--action', 'user.created', '--outcome', 'failure', '--subject', 'ann');
    expect(failures).toHaveLength(1);
    const bad = await cli(['audit', 'query', '--from', 'last tuesday'], e);
    expect(bad).toMatchObject({ code: 1, stderr: 'supportgate: invalid audit filter: from: must be an ISO date (2026-11-01) or date-time (2026-11-01T09:30:00Z)\n' });
  });

  it('shows a typed username with a line break or terminal escapes as one visible table row, never a forged row or a live escape', async () => {
    const e = env();
    await cli(['tenant', 'create', 'acme'], e);
    await recordForgedLogins(e);
    const shown = await cli(['audit', 'query', '--tenant', 'acme', '--action', 'login.*'], e);
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    const lines = shown.stdout.trimEnd().split('\n');
    // Header, rule, one row per entry, the footer: nothing else.
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe('(2 entries, end of results)');
    expect(shown.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(lines[2]).toContain('\\x1b[2K\\x1b[1A\\x1b]0;owned\\x07eve\\u202e');
    expect(lines[3]).toContain('mallory\\n2026-01-01T00:00:00.000Z  acme    admin  login.succeeded');
    expect(lines[3]).toMatch(/login\.failed\s+failure\s+-\s+invalid\\r\\ncredentials$/);
    // JSON output stays exact: it escapes control characters itself.
    const json = JSON.parse((await cli(['audit', 'query', '--tenant', 'acme', '--action', 'login.*', '--json'], e)).stdout) as { entries: AuditEntry[] };
    expect(json.entries.map((x) => x.who)).toEqual([TERMINAL_ATTACK, FORGED_ROW]);
  });

  it('exports such a username to CSV with its control characters shown, not raw', async () => {
    const e = env();
    await cli(['tenant', 'create', 'acme'], e);
    await recordForgedLogins(e);
    const csv = await cli(['audit', 'query', '--tenant', 'acme', '--action', 'login.*', '--format', 'csv'], e);
    expect(csv.code).toBe(0);
    expect(csv.stdout.replace(/\r\n/g, '')).not.toMatch(TERMINAL_CONTROL);
    const rows = parseCsv(csv.stdout);
    expect(rows).toHaveLength(3);
    expect(rows.slice(1).map((r) => r[4])).toEqual(['\\x1b[2K\\x1b[1A\\x1b]0;owned\\x07eve\\u202e', 'mallory\\n2026-01-01T00:00:00.000Z  acme    admin  login.succeeded  success  -  -']);
    expect(rows[1]![7]).toBe('invalid\\r\\ncredentials');
    // The exact values stay in the JSON lines export.
    expect((await entries(e, '--tenant', 'acme', '--action', 'login.*')).map((x) => x.who)).toEqual([TERMINAL_ATTACK, FORGED_ROW]);
  });

  it('refuses an action whose entry cannot be written, and leaves nothing of it behind', async () => {
    const e = env();
    await cli(['tenant', 'create', 'acme'], e);
    const redis = new Redis(e.REDIS_URL!);
    const key = tenantKey(e.REDIS_PREFIX!, 'acme', 'audit');
    const saved = (await redis.xrange(key, '-', '+')) as [string, string[]][];
    await redis.rename(key, `${key}:saved`);
    await redis.set(key, 'not a stream'); // every append to acme's log now fails
    const result = await cli(['user', 'create', 'acme', 'john', '--password-stdin'], e, 'john-secret-pw');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^supportgate: the audit log cannot be written \(WRONGTYPE.*\); the action was refused\n$/);
    await redis.del(key);
    await redis.rename(`${key}:saved`, key);
    await redis.quit();
    const list = await cli(['user', 'list', 'acme', '--json'], e);
    expect(JSON.parse(list.stdout)).toEqual([]);
    expect(saved).toHaveLength(1);
    // The name is free again: the undo released the username index too.
    expect((await cli(['user', 'create', 'acme', 'john', '--password-stdin'], e, 'john-secret-pw')).code).toBe(0);
  });

  it('with Redis stopped, exits non-zero with a clear message and changes nothing', async () => {
    const redis = await startRedisProcess(['--appendonly', 'yes', '--appendfsync', 'always']);
    processes.push(redis);
    const e = env({ REDIS_URL: redis.url });
    await cli(['tenant', 'create', 'acme'], e);
    await redis.stop();
    const result = await cli(['user', 'create', 'acme', 'john', '--password-stdin'], e, 'john-secret-pw');
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(new RegExp(`^supportgate: cannot reach Redis at redis://127.0.0.1:${redis.port}: .*ECONNREFUSED`));
    await redis.start();
    expect(JSON.parse((await cli(['user', 'list', 'acme', '--json'], e)).stdout)).toEqual([]);
    expect((await entries(e, '--tenant', 'acme')).map((x) => x.action)).toEqual(['tenant.created']);
  });

  it('never writes a password, client secret or hash input anywhere: Redis, audit entries or logs', async () => {
    const config = testConfig('secrets');
    const { domain, close } = await openDomain(config);
    let logged = '';
    const out = new PassThrough();
    out.on('data', (d: Buffer) => (logged += d.toString()));
    const logger = createLogger({ logLevel: 'debug', logFormat: 'json' }, out);
    const { AuditLog } = await import('../../src/audit/audit-log.js');
    const loggingDomain = { ...domain, audit: new AuditLog(domain.auditStore, domain.clock, logger) };
    await ensureManagementTenant(domain.tenants, domain.clock);
    const ops = operatorAdmin(loggingDomain, { who: 'cli:test', actor: null, channel: 'cli' }, logger);
    const secrets = ['Pw-john-7f3a9c', 'Pw-jill-a81d22', 'Pw-new-john-5e0b'];
    await ops.createTenant({ id: 'acme' });
    await ops.createUser({ tenant: 'acme', username: 'john', password: secrets[0]! });
    await ops.createUser({ tenant: 'management', username: 'jill', password: secrets[1]!, roles: ['support'], scope: ['acme'] });
    await ops.setUser({ tenant: 'acme', username: 'john', password: secrets[2]! });
    await ops.createUser({ tenant: 'acme', username: 'John', password: secrets[0]! }).catch(() => undefined);
    const { clientSecret } = await ops.createClient({ tenant: 'acme', clientId: 'portal', redirectUris: ['https://p.example.com/cb'] });
    secrets.push(clientSecret!);
    const everything = `${await dumpUnder(config.redis.prefix)}\n${logged}`;
    expect(logged).toContain('"audience":"audit"');
    expect(everything).toContain('user.created');
    for (const s of secrets) expect(everything).not.toContain(s);
    await close();
  });
});
