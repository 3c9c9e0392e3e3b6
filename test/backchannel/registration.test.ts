import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { operatorAdmin, type Admin } from '../../src/admin/index.js';
import type { Config } from '../../src/config.js';
import { cli } from '../support/cli.js';
import { openDomain, testConfig } from '../support/env.js';

describe('registering a back-channel logout URI', () => {
  let config: Config;
  let ops: Admin;
  let close: () => Promise<void>;
  const env = () => ({ NODE_ENV: 'test', REDIS_URL: config.redis.url, REDIS_PREFIX: config.redis.prefix, DATA_DIR: config.dataDir });

  beforeAll(async () => {
    config = testConfig('bcl-reg');
    const opened = await openDomain(config);
    close = opened.close;
    ops = operatorAdmin(opened.domain, { who: 'cli:test', actor: null, channel: 'cli' });
    await ops.createTenant({ id: 'acme' });
  });
  afterAll(async () => close());

  const create = (clientId: string, backchannelLogoutUri: string, extra: Record<string, unknown> = {}) =>
    ops.createClient({ tenant: 'acme', clientId, redirectUris: ['https://app.example/cb'], backchannelLogoutUri, ...extra });

  it('accepts https anywhere and plain http on loopback', async () => {
    expect((await create('a1', 'https://app.example/logout')).client).toMatchObject({ backchannelLogoutUri: 'https://app.example/logout', backchannelLogoutSessionRequired: false });
    for (const [id, uri] of [['a2', 'http://localhost:8080/bcl'], ['a3', 'http://127.0.0.1/bcl'], ['a4', 'http://[::1]:9000/bcl?logout=backchannel']]) {
      expect((await create(id!, uri!)).client.backchannelLogoutUri).toBe(uri);
    }
  });

  it.each([
    ['plain http on another host', 'http://app.example/logout', 'http:// only for localhost'],
    ['a fragment', 'https://app.example/logout#x', 'must not have a fragment'],
    ['a relative URL', '/logout', 'must be an absolute URL'],
    ['another scheme', 'ftp://app.example/logout', 'must be an https:// URL'],
  ])('refuses %s, saying why', async (_label, uri, message) => {
    await expect(create(`bad-${Math.random().toString(36).slice(2, 8)}`, uri)).rejects.toThrow(message);
  });

  it('refuses backchannel_logout_session_required without a URI, and a URI on a client that signs nobody in', async () => {
    await expect(ops.createClient({ tenant: 'acme', clientId: 'r1', redirectUris: ['https://app.example/cb'], backchannelLogoutSessionRequired: true })).rejects.toThrow('needs a --backchannel-logout-uri');
    await expect(ops.createClient({ tenant: 'acme', clientId: 'r2', redirectUris: [], resourceServer: true, backchannelLogoutUri: 'https://api.example/bcl' })).rejects.toThrow('needs a client that signs users in');
  });

  it('the CLI registers, changes and removes it; plain http elsewhere only with BACKCHANNEL_LOGOUT_ALLOW_HTTP=true', async () => {
    const created = await cli(['client', 'create', 'acme', 'c1', '--redirect-uri', 'https://app.example/cb', '--backchannel-logout-uri', 'https://app.example/bcl', '--backchannel-logout-session-required', '--json'], env());
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ backchannelLogoutUri: 'https://app.example/bcl', backchannelLogoutSessionRequired: true });

    const refused = await cli(['client', 'update', 'acme', 'c1', '--backchannel-logout-uri', 'http://app.internal/bcl'], env());
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('http:// only for localhost, 127.0.0.1, [::1], unless BACKCHANNEL_LOGOUT_ALLOW_HTTP is true');

    const allowed = await cli(['client', 'update', 'acme', 'c1', '--backchannel-logout-uri', 'http://app.internal/bcl', '--json'], { ...env(), BACKCHANNEL_LOGOUT_ALLOW_HTTP: 'true' });
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ backchannelLogoutUri: 'http://app.internal/bcl', backchannelLogoutSessionRequired: true });

    const removed = await cli(['client', 'set', 'acme', 'c1', '--backchannel-logout-uri', 'none', '--json'], env());
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout)).not.toHaveProperty('backchannelLogoutUri');
    expect(JSON.parse(removed.stdout)).not.toHaveProperty('backchannelLogoutSessionRequired');
  });
});
