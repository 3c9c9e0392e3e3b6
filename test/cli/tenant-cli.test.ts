import { describe, expect, it } from '@jest/globals';
import type { AuditEntry } from '../../src/audit/entry.js';
import { cliAuditContext } from '../../src/cli/context.js';
import { cli, cliEnv } from '../support/cli.js';

const env = () => cliEnv('tenant-cli');

async function entries(e: NodeJS.ProcessEnv, tenant: string, action: string): Promise<AuditEntry[]> {
  const result = await cli(['audit', 'query', '--tenant', tenant, '--action', action, '--json'], e);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return (JSON.parse(result.stdout) as { entries: AuditEntry[] }).entries;
}

describe('supportgate tenant suspend | resume', () => {
  it('suspends and resumes a tenant, says so, shows it in the list and records both under cli:<user>', async () => {
    const e = env();
    await cli(['tenant', 'create', 'acme'], e);
    expect(await cli(['tenant', 'suspend', 'acme'], e)).toEqual({
      code: 0,
      stdout: 'suspended tenant acme: its sign-ins are refused and its sessions and tokens are being ended\n',
      stderr: '',
    });
    const list = await cli(['tenant', 'list', '--json'], e);
    expect((JSON.parse(list.stdout) as { id: string; status: string }[]).find((t) => t.id === 'acme')?.status).toBe('suspended');
    expect(await cli(['tenant', 'resume', 'acme'], e)).toEqual({ code: 0, stdout: 'resumed tenant acme: its users can sign in again\n', stderr: '' });

    const who = cliAuditContext(e).who;
    expect(who).toMatch(/^cli:/);
    expect((await entries(e, 'acme', 'tenant.suspended'))[0]).toMatchObject({
      who,
      channel: 'cli',
      outcome: 'success',
      subject: { type: 'tenant', id: 'acme' },
      details: { before: 'active', after: 'suspended', changed: true },
    });
    expect((await entries(e, 'acme', 'tenant.resumed'))[0]).toMatchObject({ who, outcome: 'success', details: { before: 'suspended', after: 'active', changed: true } });
  });

  it('prints the change as JSON with --json', async () => {
    const e = env();
    await cli(['tenant', 'create', 'acme'], e);
    const suspended = await cli(['tenant', 'suspend', 'acme', '--json'], e);
    expect(suspended).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(suspended.stdout)).toMatchObject({ tenant: { id: 'acme', status: 'suspended' }, before: 'active', changed: true });
    const resumed = await cli(['--json', 'tenant', 'resume', 'acme'], e);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ tenant: { id: 'acme', status: 'active' }, before: 'suspended', changed: true });
  });

  it('suspending a suspended tenant succeeds, changes nothing and says so; resuming an active one likewise', async () => {
    const e = env();
    await cli(['tenant', 'create', 'acme'], e);
    await cli(['tenant', 'suspend', 'acme'], e);
    expect(await cli(['tenant', 'suspend', 'acme'], e)).toEqual({
      code: 0,
      stdout: 'tenant acme was already suspended; its sessions and tokens are being ended again\n',
      stderr: '',
    });
    expect(JSON.parse((await cli(['tenant', 'suspend', 'acme', '--json'], e)).stdout)).toMatchObject({ before: 'suspended', changed: false });
    expect((await entries(e, 'acme', 'tenant.suspended')).map((x) => x.details.changed)).toEqual([false, false, true]);
    await cli(['tenant', 'resume', 'acme'], e);
    expect(await cli(['tenant', 'resume', 'acme'], e)).toEqual({ code: 0, stdout: 'tenant acme is already active; nothing changed\n', stderr: '' });
  });

  it('refuses to suspend the management tenant with one clear line, and records the refusal', async () => {
    const e = env();
    expect(await cli(['tenant', 'suspend', 'management'], e)).toEqual({ code: 1, stdout: '', stderr: 'supportgate: the management tenant can never be suspended\n' });
    const json = await cli(['tenant', 'suspend', 'management', '--json'], e);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toEqual({ error: 'forbidden', message: 'the management tenant can never be suspended' });
    expect((await entries(e, 'management', 'tenant.suspended'))[0]).toMatchObject({ outcome: 'failure', cause: 'forbidden: the management tenant can never be suspended' });
    const list = await cli(['tenant', 'list', '--json'], e);
    expect((JSON.parse(list.stdout) as { id: string; status: string }[])[0]).toMatchObject({ id: 'management', status: 'active' });
  });

  it('names a tenant that does not exist', async () => {
    const e = env();
    expect(await cli(['tenant', 'suspend', 'ghost'], e)).toEqual({ code: 1, stdout: '', stderr: 'supportgate: tenant "ghost" not found\n' });
    expect(await cli(['tenant', 'resume', 'ghost'], e)).toEqual({ code: 1, stdout: '', stderr: 'supportgate: tenant "ghost" not found\n' });
  });
});
