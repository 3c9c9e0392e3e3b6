import { describe, expect, it } from '@jest/globals';
import { cli, cliEnv, cliProcess } from '../support/cli.js';
import { freePort } from '../support/ports.js';

const env = (extra: Record<string, string> = {}) => cliEnv('cli', extra);

function json(stdout: string): unknown {
  return JSON.parse(stdout);
}

describe('supportgate command line', () => {
  it('creates tenants, users, clients and settings with --json output that parses', async () => {
    const e = env();
    const tenant = await cli(['tenant', 'create', 'acme', '--name', 'ACME', '--domain', 'acme.example.com', '--json'], e);
    expect(tenant).toMatchObject({ code: 0, stderr: '' });
    expect(json(tenant.stdout)).toMatchObject({ id: 'acme', name: 'ACME', domains: ['acme.example.com'], status: 'active' });

    const john = await cli(['user', 'create', 'acme', 'john', '--password-stdin', '--json'], e, 'john-secret-pw\n');
    expect(john.code).toBe(0);
    const created = json(john.stdout) as Record<string, unknown>;
    expect(created).toMatchObject({ tenant: 'acme', username: 'john', roles: ['user'], enabled: true });
    expect(created).not.toHaveProperty('passwordHash');

    const set = await cli(['user', 'set', 'acme', 'john', '--enabled', 'false', '--role', 'user', '--role', 'auditor', '--json'], e);
    expect(json(set.stdout)).toMatchObject({ enabled: false, roles: ['user', 'auditor'] });

    const list = await cli(['user', 'list', 'acme', '--json'], e);
    expect((json(list.stdout) as { username: string }[]).map((u) => u.username)).toEqual(['john']);

    const client = await cli(['client', 'create', 'acme', 'portal', '--redirect-uri', 'https://portal.example.com/cb', '--json'], e);
    const c = json(client.stdout) as { client_id: string; client_secret: string };
    expect(c.client_id).toBe('portal');
    expect(c.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const clients = await cli(['client', 'list', 'acme', '--json'], e);
    expect(clients.stdout).not.toContain(c.client_secret);

    const setting = await cli(['settings', 'set', 'support.requestHours', '12', '--json'], e);
    expect(json(setting.stdout)).toEqual({ key: 'support.requestHours', before: 24, after: 12 });
    const settings = await cli(['--json', 'settings', 'get'], e);
    expect(json(settings.stdout)).toMatchObject({ 'support.requestHours': 12, 'support.globalAccess': false });

    const tenants = await cli(['tenant', 'list', '--json'], e);
    expect((json(tenants.stdout) as { id: string }[]).map((t) => t.id)).toEqual(['management', 'acme']);
  });

  it('refuses "John" after "john" in one tenant with one line on stderr, and takes john in two tenants', async () => {
    const e = env();
    await cli(['tenant', 'create', 'acme'], e);
    await cli(['tenant', 'create', 'beta'], e);
    expect((await cli(['user', 'create', 'acme', 'john', '--password-stdin'], e, 'john-secret-pw')).code).toBe(0);
    const dup = await cli(['user', 'create', 'acme', 'John', '--password-stdin'], e, 'john-secret-pw');
    expect(dup).toEqual({ code: 1, stdout: '', stderr: 'supportgate: username "John" is already taken in tenant "acme"\n' });
    const beta = await cli(['user', 'create', 'beta', 'john', '--password-stdin', '--json'], e, 'john-secret-pw');
    expect(beta.code).toBe(0);
    expect(json(beta.stdout)).toMatchObject({ tenant: 'beta', username: 'john' });
  });

  it('refuses a username with $, with a JSON error line on stderr under --json', async () => {
    const e = env();
    await cli(['tenant', 'create', 'acme'], e);
    const result = await cli(['user', 'create', 'acme', 'jill$john', '--password-stdin', '--json'], e, 'long-enough-pw');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(json(result.stderr)).toMatchObject({ error: 'invalid_input', message: expect.stringContaining('must not contain "$"') });
  });

  it('takes passwords only from stdin', async () => {
    const e = env();
    const noFlag = await cli(['user', 'create', 'management', 'amy'], e);
    expect(noFlag.code).toBe(2);
    expect(noFlag.stderr).toContain("required option '--password-stdin' not specified");
    const asArgument = await cli(['user', 'create', 'management', 'amy', '--password-stdin', '--password', 'secret'], e);
    expect(asArgument.code).toBe(2);
    expect(asArgument.stderr).toContain("unknown option '--password'");
    const empty = await cli(['user', 'create', 'management', 'amy', '--password-stdin'], e, '');
    expect(empty).toMatchObject({ code: 1, stderr: 'supportgate: --password-stdin: nothing was read from stdin\n' });
  });

  it('says clearly when Redis cannot be reached, exits 3 and never prints credentials', async () => {
    const port = await freePort();
    const result = await cli(['tenant', 'create', 'acme'], env({ REDIS_URL: `redis://:hunter2@127.0.0.1:${port}` }));
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(new RegExp(`^supportgate: cannot reach Redis at redis://:\\*\\*\\*@127.0.0.1:${port}: .*ECONNREFUSED.*\\n$`));
    expect(result.stderr).not.toContain('hunter2');
  });

  it('prints help without touching Redis', async () => {
    const result = await cli(['user', '--help'], env({ REDIS_URL: 'redis://127.0.0.1:1' }));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('create [options] <tenant> <username>');
  });

  it('runs as its own process from bin/supportgate.js', async () => {
    const e = env();
    const result = await cliProcess(['tenant', 'create', 'acme', '--json'], e);
    expect(result.code).toBe(0);
    expect(json(result.stdout)).toMatchObject({ id: 'acme' });
    const dup = await cliProcess(['tenant', 'create', 'acme'], e);
    expect(dup).toMatchObject({ code: 1, stdout: '', stderr: 'supportgate: tenant "acme" already exists\n' });
  });
});
