import { describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { AuditEntry } from '../../src/audit/entry.js';
import { cliAuditContext } from '../../src/cli/context.js';
import { tenantKey } from '../../src/redis/keys.js';
import { cli, cliEnv } from '../support/cli.js';

const env = () => cliEnv('client-cli');

async function entries(e: NodeJS.ProcessEnv, action: string): Promise<AuditEntry[]> {
  const result = await cli(['audit', 'query', '--tenant', 'acme', '--action', action, '--json'], e);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return (JSON.parse(result.stdout) as { entries: AuditEntry[] }).entries;
}

const clientsOf = async (e: NodeJS.ProcessEnv) => JSON.parse((await cli(['client', 'list', 'acme', '--json'], e)).stdout) as { clientId: string; redirectUris: string[]; apiScopes?: string[] }[];

describe('supportgate client create --api-scope | set | rotate-secret', () => {
  it('registers a machine client with API scopes and shows them in the list', async () => {
    const e = env();
    await cli(['tenant', 'create', 'acme'], e);
    const created = await cli(['client', 'create', 'acme', 'reports', '--api-scope', 'audit:read', '--api-scope', 'support:read', '--json'], e);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ client_id: 'reports', apiScopes: ['audit:read', 'support:read'], redirectUris: [], client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const human = await cli(['client', 'create', 'acme', 'exporter', '--api-scope', 'audit:read'], e);
    expect(human.stdout).toMatch(/^created machine client in tenant acme\nclient_id: +exporter\napi scopes: +audit:read \(grant client_credentials\)\nclient_secret: /);
    expect((await clientsOf(e)).find((c) => c.clientId === 'reports')?.apiScopes).toEqual(['audit:read', 'support:read']);
    expect((await cli(['client', 'list', 'acme'], e)).stdout).toMatch(/API_SCOPES[\s\S]*reports +machine +false +audit:read support:read/);
    const bad = await cli(['client', 'create', 'acme', 'x', '--api-scope', 'everything'], e);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/^supportgate: invalid client: apiScopes\.0: API scope must be one of audit:read, support:read, support:write/)]);
  });

  it("changes a client's redirect URIs, recorded under cli:<user> with the new URIs", async () => {
    const e = env();
    await cli(['tenant', 'create', 'acme'], e);
    await cli(['client', 'create', 'acme', 'portal', '--redirect-uri', 'https://p.example.com/cb'], e);
    const set = await cli(['client', 'set', 'acme', 'portal', '--redirect-uri', 'https://p.example.com/a', '--redirect-uri', 'https://p.example.com/b', '--post-logout-redirect-uri', 'https://p.example.com/'], e);
    expect(set).toEqual({
      code: 0,
      stdout: 'changed client portal in tenant acme\nredirect_uris:             https://p.example.com/a https://p.example.com/b\npost_logout_redirect_uris: https://p.example.com/\n',
      stderr: '',
    });
    expect((await clientsOf(e))[0]?.redirectUris).toEqual(['https://p.example.com/a', 'https://p.example.com/b']);
    expect((await entries(e, 'client.updated'))[0]).toMatchObject({
      who: cliAuditContext(e).who,
      channel: 'cli',
      outcome: 'success',
      subject: { type: 'client', name: 'portal' },
      details: { redirectUris: ['https://p.example.com/a', 'https://p.example.com/b'], postLogoutRedirectUris: ['https://p.example.com/'] },
    });
    const ghost = await cli(['client', 'set', 'acme', 'ghost', '--redirect-uri', 'https://g.example.com/cb'], e);
    expect([ghost.code, ghost.stderr]).toEqual([1, 'supportgate: client "ghost" not found in tenant "acme"\n']);
  });

  it('rotates a secret: printed once, never in the audit log; a public client is refused', async () => {
    const e = env();
    await cli(['tenant', 'create', 'acme'], e);
    const first = JSON.parse((await cli(['client', 'create', 'acme', 'portal', '--redirect-uri', 'https://p.example.com/cb', '--json'], e)).stdout) as { client_secret: string };
    const rotated = await cli(['client', 'rotate-secret', 'acme', 'portal', '--json'], e);
    expect(rotated.code).toBe(0);
    const { client_secret: secret } = JSON.parse(rotated.stdout) as { client_secret: string };
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secret).not.toBe(first.client_secret);
    expect((await cli(['client', 'rotate-secret', 'acme', 'portal'], e)).stdout).toMatch(/^new secret for client portal in tenant acme\nclient_secret: [A-Za-z0-9_-]{43}\nStore the secret now/);
    expect((await entries(e, 'client.secret.rotated')).map((x) => [x.who, x.outcome, x.subject?.name])).toEqual([
      [cliAuditContext(e).who, 'success', 'portal'],
      [cliAuditContext(e).who, 'success', 'portal'],
    ]);
    const log = (await cli(['audit', 'query', '--tenant', 'acme', '--format', 'jsonl'], e)).stdout;
    expect(log).not.toContain(secret);
    expect(log).not.toContain(first.client_secret);
    await cli(['client', 'create', 'acme', 'spa', '--public', '--redirect-uri', 'https://spa.example.com/cb'], e);
    expect(await cli(['client', 'rotate-secret', 'acme', 'spa'], e)).toEqual({ code: 1, stdout: '', stderr: 'supportgate: client "spa" is public: it has no secret to rotate\n' });
  });

  it('a change or rotation whose entry cannot be written is undone', async () => {
    const e = env();
    await cli(['tenant', 'create', 'acme'], e);
    await cli(['client', 'create', 'acme', 'portal', '--redirect-uri', 'https://p.example.com/cb'], e);
    const redis = new Redis(e.REDIS_URL!);
    const record = tenantKey(e.REDIS_PREFIX!, 'acme', 'client', 'portal');
    const before = await redis.get(record);
    const log = tenantKey(e.REDIS_PREFIX!, 'acme', 'audit');
    await redis.rename(log, `${log}:saved`);
    await redis.set(log, 'not a stream'); // every append to acme's log now fails
    try {
      expect((await cli(['client', 'set', 'acme', 'portal', '--redirect-uri', 'https://evil.example.com/cb'], e)).stderr).toMatch(/^supportgate: the audit log cannot be written/);
      expect((await cli(['client', 'rotate-secret', 'acme', 'portal'], e)).stderr).toMatch(/^supportgate: the audit log cannot be written/);
      expect(await redis.get(record)).toBe(before);
    } finally {
      await redis.del(log);
      await redis.rename(`${log}:saved`, log);
      await redis.quit();
    }
  });
});
