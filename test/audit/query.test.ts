import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditEntry } from '../../src/audit/entry.js';
import { CSV_COLUMNS, writeEntries } from '../../src/audit/export.js';
import { parseAuditFilter, queryEntries, queryPage, type AuditFilter } from '../../src/audit/query.js';
import { applyRetention } from '../../src/audit/retention.js';
import { verifyTenantLog } from '../../src/audit/verify.js';
import type { Domain } from '../../src/domain.js';
import { tenantKey } from '../../src/redis/keys.js';
import type { RedisClient } from '../../src/redis/client.js';
import { createTenant, ensureManagementTenant } from '../../src/tenants/tenants.js';
import { createUser } from '../../src/users/users.js';
import { parseCsv } from '../support/csv.js';
import { openDomain, testConfig } from '../support/env.js';
import { auditLogOn } from './support.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

describe('audit queries', () => {
  const config = testConfig('audit-query');
  let domain: Domain;
  let redis: RedisClient;
  let close: () => Promise<void>;
  let audit: ReturnType<typeof auditLogOn>;
  let jillId: string;
  const deps = () => ({ audit: audit.store, tenants: domain.tenants, users: domain.users });
  const all = async (filter: AuditFilter) => {
    const out: AuditEntry[] = [];
    for await (const hit of queryEntries(deps(), filter)) out.push(hit.entry);
    return out;
  };

  beforeAll(async () => {
    ({ domain, redis, close } = await openDomain(config));
    await ensureManagementTenant(domain.tenants, domain.clock);
    await createTenant(domain.tenants, domain.clock, { id: 'acme' });
    await createTenant(domain.tenants, domain.clock, { id: 'beta' });
    jillId = (await createUser(domain, { tenant: 'management', username: 'jill', password: 'jill-secret-pw', roles: ['support'], scope: ['*'] })).id;
    audit = auditLogOn(redis, config.redis.prefix, T0);
    // 10 days, one entry an hour, alternating acme and beta: john's logins, jill's support sessions.
    for (let h = 0; h < 240; h++) {
      audit.clock.set(T0 + h * HOUR - 1);
      const tenant = h % 2 === 0 ? 'acme' : 'beta';
      const support = h % 3 === 0;
      await audit.log.record({
        tenant,
        who: support ? 'jill$john' : 'john',
        actor: support ? { type: 'user', id: jillId, name: 'jill', tenant: 'management' } : { type: 'user', id: 'john-id', name: 'john', tenant },
        subject: { type: 'user', id: 'john-id', name: 'john', tenant },
        action: h % 5 === 0 ? 'support.request.opened' : 'login.succeeded',
        outcome: h % 4 === 0 ? 'failure' : 'success',
        cause: h % 4 === 0 ? 'invalid credentials, with "quotes", commas\nand a line break' : null,
        channel: 'login',
        userAgent: h === 7 ? '=HYPERLINK("http://evil")' : 'Firefox',
      });
    }
  });
  afterAll(async () => close());

  it('answers newest first across all tenants', async () => {
    const entries = await all({});
    expect(entries).toHaveLength(240);
    expect(entries[0]!.time).toBe(new Date(T0 + 239 * HOUR).toISOString());
    const times = entries.map((e) => Date.parse(e.time));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('combines filters: tenant, time range, who, actor, subject, action, outcome', async () => {
    const filter = parseAuditFilter({ tenant: 'acme', who: 'jill$*', action: 'support.*', outcome: 'failure', from: '2026-11-02', to: '2026-11-08' });
    const found = await all(filter);
    const expected = Array.from({ length: 240 }, (_, h) => h).filter(
      (h) => h % 2 === 0 && h % 3 === 0 && h % 5 === 0 && h % 4 === 0 && T0 + h * HOUR >= Date.parse('2026-11-02') && T0 + h * HOUR <= Date.parse('2026-11-08T23:59:59.999Z'),
    );
    expect(found.map((e) => e.time)).toEqual(expected.reverse().map((h) => new Date(T0 + h * HOUR).toISOString()));
    expect(found.length).toBeGreaterThan(0);
    expect(await all({ actor: 'john', tenant: 'beta' })).toHaveLength(240 / 2 - 240 / 6);
    expect(await all({ subject: 'beta/john' })).toHaveLength(120);
    expect(await all({ outcome: 'success', action: 'login.succeeded', who: 'john' })).toHaveLength(
      Array.from({ length: 240 }, (_, h) => h).filter((h) => h % 3 !== 0 && h % 5 !== 0 && h % 4 !== 0).length,
    );
  });

  it("finds a support user's entries in every tenant from its own index", async () => {
    const viaIndex = await all({ who: 'jill$*' });
    expect(viaIndex).toHaveLength(80);
    expect(new Set(viaIndex.map((e) => e.tenant))).toEqual(new Set(['acme', 'beta']));
    const actor = await all({ actor: 'management/jill' });
    expect(actor.map((e) => e.id)).toEqual(viaIndex.map((e) => e.id));
    expect(await all({ actor: 'management/nobody' })).toEqual([]);
  });

  it('refuses a cursor from another kind of query and malformed filters with clear messages', async () => {
    const page = await queryPage(deps(), { tenant: 'acme' }, 5);
    await expect(queryPage(deps(), {}, 5, page.nextCursor!)).rejects.toThrow('invalid cursor for this query');
    await expect(queryPage(deps(), {}, 5, 'garbage')).rejects.toThrow(/invalid cursor/);
    expect(() => parseAuditFilter({ from: 'yesterday' })).toThrow(/from: must be an ISO date/);
    expect(() => parseAuditFilter({ action: 'login.maybe' })).toThrow(/action: must be an action of the catalogue/);
    expect(() => parseAuditFilter({ from: '2026-11-05', to: '2026-11-01' })).toThrow(/from must not be after to/);
  });

  it('exports CSV that a spreadsheet opens: one header row, every row the same columns, formulas neutralised', async () => {
    const chunks: string[] = [];
    const out = new Writable({
      highWaterMark: 64, // a slow reader: the export must wait for it
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        setImmediate(cb);
      },
    });
    const n = await writeEntries((async function* () { for await (const h of queryEntries(deps(), { tenant: 'acme' })) yield h.entry; })(), 'csv', out);
    const rows = parseCsv(chunks.join(''));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows.filter((r) => r[0] === 'id')).toHaveLength(1);
    expect(rows.slice(1)).toHaveLength(n);
    for (const r of rows) expect(r).toHaveLength(CSV_COLUMNS.length);
    const failure = rows.find((r) => r[7]!.includes('line break'))!;
    // Control characters are shown escaped (issue 8): the auditor sees that a line break was typed.
    expect(failure[7]).toBe('invalid credentials, with "quotes", commas\\nand a line break');
  });

  it('exports JSON lines that each parse back to the entry', async () => {
    let text = '';
    const out = new Writable({ write(chunk, _e, cb) { text += String(chunk); cb(); } });
    const source = (async function* () { for await (const h of queryEntries(deps(), { tenant: 'acme', outcome: 'failure' })) yield h.entry; })();
    const n = await writeEntries(source, 'jsonl', out);
    const lines = text.trimEnd().split('\n');
    expect(n).toBe(60);
    expect(lines).toHaveLength(n);
    for (const l of lines) expect(JSON.parse(l)).toMatchObject({ tenant: 'acme', outcome: 'failure', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it.each([
    ['one tenant', { tenant: 'acme' } as AuditFilter, 120],
    ['all tenants', {} as AuditFilter, 240],
    ["a support user's index", { who: 'jill$*' } as AuditFilter, 80],
  ])('pages through %s with a cursor, each entry once, while new entries arrive', async (_label, filter, minimum) => {
    const total = (await all(filter)).length;
    expect(total).toBeGreaterThanOrEqual(minimum);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await queryPage(deps(), filter, 17, cursor);
      seen.push(...page.entries.map((e) => `${e.tenant}/${e.id}`));
      cursor = page.nextCursor ?? undefined;
      pages++;
      // Appends between pages are newer than every cursor: later pages do not shift.
      audit.clock.set(T0 + 300 * HOUR + seen.length * 10 + pages);
      await audit.log.record({ tenant: 'acme', who: 'jill$john', actor: { type: 'user', id: jillId, name: 'jill', tenant: 'management' }, action: 'logout', outcome: 'success', channel: 'login' });
    } while (cursor);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect(pages).toBe(Math.ceil(total / 17));
    expect((await all(filter)).length).toBe(total + pages);
  });

  it('trims entries past retention and what remains still verifies against the anchor', async () => {
    expect((await verifyTenantLog(audit.store, 'beta')).ok).toBe(true);
    const now = { now: () => T0 + 10 * 24 * HOUR };
    const removed = await applyRetention(audit.store, domain.tenants, now, 7);
    expect(removed.beta).toBe(36); // days 0-2 of beta: 72 hours / 2
    const result = await verifyTenantLog(audit.store, 'beta');
    expect(result).toMatchObject({ ok: true, entries: 84, firstSeq: 37, lastSeq: 120 });
    // Deleting the oldest kept entry is still caught: it no longer continues the anchor.
    const [oldest] = await audit.store.oldest('beta', '-', 1);
    await redis.xdel(tenantKey(config.redis.prefix, 'beta', 'audit'), oldest!.id);
    expect(await verifyTenantLog(audit.store, 'beta')).toMatchObject({ ok: false, position: 1, reason: expect.stringMatching(/1 entry is missing before it/) });
  });
});
