import { describe, expect, it } from '@jest/globals';
import type { AuditEntry } from '../../src/audit/entry.js';
import { cli, cliEnv } from '../support/cli.js';

describe('supportgate support', () => {
  it('enables, shows and disables support like the tenant Properties, audited under the tenant user', async () => {
    const e = cliEnv('support-cli');
    expect((await cli(['demo', 'seed'], e)).code).toBe(0);
    const none = await cli(['support', 'status', 'acme'], e);
    expect(none.stdout).toBe(
      ['Tenant acme', '  Support user access:  disabled', '  Expiry date:          -', '  Active requests:      0', '  Global access:        off', '  Support mode:         full (global full)', '', 'Requests: none', '', 'Last support logins: none', ''].join('\n'),
    );
    const opened = await cli(['support', 'enable', 'acme', '--as', 'john', '--hours', '2', '--reason', 'ticket #42', '--json'], e);
    expect(opened.code).toBe(0);
    const { windowEndsAt } = JSON.parse(opened.stdout) as { windowEndsAt: string };
    await cli(['support', 'enable', 'acme', '--as', 'mary'], e);

    const status = await cli(['support', 'status', 'acme'], e);
    expect(status.stdout).toContain('  Support user access:  enabled until ');
    expect(status.stdout).toContain('  Active requests:      2');
    expect(status.stdout).toMatch(/OPENED\s+BY\s+HOURS\s+STATE\s+ENDS\s+CLOSED\s+REASON/);
    expect(status.stdout).toMatch(/john\s+2\s+active\s+\S+\s+-\s+ticket #42/);
    const json = JSON.parse((await cli(['support', 'status', 'acme', '--json'], e)).stdout) as { access: { enabled: boolean; until: string }; requests: { state: string }[] };
    expect(json.access.enabled).toBe(true);
    expect(Date.parse(json.access.until)).toBe(Date.parse(windowEndsAt) + 24 * 3_600_000);

    const refused = await cli(['support', 'disable', 'acme', '--as', 'admin-does-not-exist'], e);
    expect(refused).toMatchObject({ code: 1, stderr: 'supportgate: user "admin-does-not-exist" not found in tenant "acme"\n' });
    const closed = await cli(['support', 'disable', 'acme', '--as', 'admin'], e);
    expect(closed.stdout).toBe('closed 2 requests; support access to acme by requests is now closed\n');
    expect((await cli(['support', 'status', 'acme'], e)).stdout).toMatch(/john\s+2\s+closed\s+-\s+\S+ by admin\s+ticket #42/);

    const log = await cli(['audit', 'query', '--tenant', 'acme', '--action', 'support.*', '--format', 'jsonl'], e);
    const entries = log.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as AuditEntry).filter((x) => x.action !== 'audit.exported');
    expect(entries.map((x) => `${x.who} ${x.action} ${x.outcome}`)).toEqual([
      'admin support.request.closed success',
      'admin-does-not-exist support.request.closed failure',
      'mary support.request.opened success',
      'john support.request.opened success',
    ]);
    expect(entries[3]!.details).toMatchObject({ hours: 2, reason: 'ticket #42', operator: expect.stringMatching(/^cli:/) });
    expect(entries[3]!.actor).toMatchObject({ type: 'user', name: 'john', tenant: 'acme' });
  });

  it('shows a reason with a line break or terminal escapes on its own request row, never as a forged row', async () => {
    const e = cliEnv('support-cli');
    await cli(['demo', 'seed'], e);
    const reason = 'ticket #42\n2026-01-01T00:00:00.000Z  admin  168    active  -  -  approved by the CISO\x1b]0;owned\x07 \x1b[2K\u202eok';
    expect((await cli(['support', 'enable', 'acme', '--as', 'john', '--reason', reason], e)).code).toBe(0);
    const status = await cli(['support', 'status', 'acme'], e);
    expect(status.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]/);
    const lines = status.stdout.split('\n');
    const table = lines.slice(lines.indexOf('Requests (newest first):') + 1, lines.indexOf('Last support logins: none') - 1);
    // Header, rule and the one request.
    expect(table).toHaveLength(3);
    expect(table[2]).toMatch(/john\s+\d+\s+active\s+\S+\s+-\s+ticket #42\\n2026-01-01T00:00:00.000Z  admin  168    active  -  -  approved by the CISO\\x1b\]0;owned\\x07 \\x1b\[2K\\u202eok$/);
    // --json carries the reason exactly as it was typed.
    const json = JSON.parse((await cli(['support', 'status', 'acme', '--json'], e)).stdout) as { requests: { reason: string }[] };
    expect(json.requests[0]!.reason).toBe(reason);
  });

  it('refuses a request longer than support.maxRequestHours, and requests while global access is on', async () => {
    const e = cliEnv('support-cli');
    await cli(['demo', 'seed'], e);
    expect(await cli(['support', 'enable', 'acme', '--as', 'john', '--hours', '169'], e)).toMatchObject({ code: 1, stderr: 'supportgate: hours must be a whole number from 1 to 168 (support.maxRequestHours)\n' });
    expect((await cli(['support', 'enable', 'acme', '--as', 'john', '--hours', 'two'], e)).code).toBe(2);
    await cli(['settings', 'set', 'support.globalAccess', 'true'], e);
    expect(await cli(['support', 'enable', 'acme', '--as', 'john'], e)).toMatchObject({ code: 1, stderr: 'supportgate: support access is on for every tenant; no request is needed\n' });
    expect((await cli(['support', 'status', 'acme'], e)).stdout).toContain('  Support user access:  enabled, no limit (global access)\n  Expiry date:          no limit\n');
  });

  it('lets a tenant make support.mode stricter, never looser', async () => {
    const e = cliEnv('support-cli');
    await cli(['demo', 'seed'], e);
    expect((await cli(['settings', 'set', 'support.mode', 'read-only', '--tenant', 'acme'], e)).stdout).toBe('acme: support.mode: inherit -> read-only\n');
    expect(JSON.parse((await cli(['settings', 'get', '--tenant', 'acme', '--json'], e)).stdout)).toMatchObject({ 'support.mode': 'read-only', 'support.mode.override': 'read-only' });
    expect(JSON.parse((await cli(['settings', 'get', '--json'], e)).stdout)).toMatchObject({ 'support.mode': 'full' });
    expect((await cli(['support', 'status', 'acme'], e)).stdout).toContain('  Support mode:         read-only (global full, tenant override read-only)');
    expect(await cli(['settings', 'set', 'support.mode', 'full', '--tenant', 'acme'], e)).toMatchObject({ code: 1, stderr: 'supportgate: a tenant may only make support.mode stricter than the global full; use inherit to follow it\n' });
    expect(await cli(['settings', 'set', 'support.requestHours', '2', '--tenant', 'acme'], e)).toMatchObject({ code: 1, stderr: 'supportgate: support.requestHours is global; a tenant may override only support.mode\n' });
    expect((await cli(['settings', 'set', 'support.mode', 'inherit', '--tenant', 'acme'], e)).code).toBe(0);
    expect(JSON.parse((await cli(['settings', 'get', '--tenant', 'acme', '--json'], e)).stdout)).toMatchObject({ 'support.mode': 'full', 'support.mode.override': 'inherit' });
  });
});
