import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { describeRedis, loadConfig, redactRedisUrl } from '../src/config.js';
import { AppError } from '../src/errors.js';

function configError(env: Record<string, string>, configDir?: string): AppError {
  try {
    loadConfig({ env, configDir });
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected the configuration to be refused');
}

describe('configuration', () => {
  it('starts from the documented defaults', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      publicUrl: 'http://localhost:3000',
      redis: { url: 'redis://127.0.0.1:6379', clusterNodes: [], prefix: 'sg:' },
      logFormat: 'pretty',
      trustProxy: false,
      passwords: { memoryKiB: 19456, timeCost: 2, parallelism: 1 },
    });
    expect(config.dataDir).toBe(join(process.cwd(), '.data'));
  });

  it('takes the environment names of SPEC §9 over the files', () => {
    const config = loadConfig({
      env: {
        PORT: '8080',
        PUBLIC_URL: 'https://id.example.com/',
        REDIS_URL: 'rediss://:pw@redis.internal:6380',
        REDIS_PREFIX: 'prod:',
        DATA_DIR: '/var/lib/sg',
        LOG_LEVEL: 'debug',
        TRUST_PROXY: '10.0.0.0/8, loopback',
        REDIS_CLUSTER_NODES: 'a:7000, b:7001',
      },
    });
    expect(config).toMatchObject({
      port: 8080,
      publicUrl: 'https://id.example.com',
      redis: { url: 'rediss://:pw@redis.internal:6380', prefix: 'prod:', clusterNodes: ['a:7000', 'b:7001'] },
      dataDir: '/var/lib/sg',
      logLevel: 'debug',
      trustProxy: ['10.0.0.0/8', 'loopback'],
    });
  });

  it('believes forwarded headers only from proxies it names: true and hop counts are refused', () => {
    const refused = 'trustProxy (TRUST_PROXY): must be false or the proxies to trust: addresses, subnets, or loopback, linklocal, uniquelocal (true and hop counts are refused: they trust any client)';
    expect(configError({ TRUST_PROXY: 'true' }).issues).toEqual([refused]);
    expect(configError({ TRUST_PROXY: '1' }).issues).toEqual([refused]);
    expect(configError({ TRUST_PROXY: '10.0.0.0/33' }).issues).toEqual(['trustProxy (TRUST_PROXY): "10.0.0.0/33" is not an address, a subnet (a.b.c.d/n) or loopback, linklocal, uniquelocal']);
    expect(loadConfig({ env: { TRUST_PROXY: '::1, 192.168.0.0/16' } }).trustProxy).toEqual(['::1', '192.168.0.0/16']);
    expect(loadConfig({ env: { TRUST_PROXY: 'false' } }).trustProxy).toBe(false);
  });

  it('layers config/<NODE_ENV>.json between the defaults and the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-config-'));
    writeFileSync(join(dir, 'default.json'), JSON.stringify({ '//': 'doc', ...loadDefaults() }));
    writeFileSync(join(dir, 'staging.json'), JSON.stringify({ port: 4000, logLevel: 'warn' }));
    // 'staging' is not an env the schema knows: the file is read, the env name refused by name.
    expect(configError({ NODE_ENV: 'staging' }, dir).issues).toEqual(['env (NODE_ENV): must be development, production or test']);
    writeFileSync(join(dir, 'production.json'), JSON.stringify({ port: 4000, logLevel: 'warn' }));
    const config = loadConfig({ env: { NODE_ENV: 'production', LOG_LEVEL: 'error' }, configDir: dir });
    expect(config).toMatchObject({ env: 'production', port: 4000, logLevel: 'error', logFormat: 'json' });
  });

  it('reports every bad field at once, each named by path and environment variable', () => {
    const err = configError({ PORT: 'abc', REDIS_URL: 'nope', LOG_LEVEL: 'loud', REDIS_PREFIX: 'a{b}', ARGON2_MEMORY_KIB: '12' });
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.issues).toEqual([
      'port (PORT): must be an integer between 0 and 65535',
      'redis.url (REDIS_URL): must be a redis:// or rediss:// URL',
      'redis.prefix (REDIS_PREFIX): must not contain {, } or spaces (hash tags are added per tenant)',
      'logLevel (LOG_LEVEL): must be error, warn, info, http or debug',
      'passwords.memoryKiB (ARGON2_MEMORY_KIB): must be at least 1024',
    ]);
  });

  it('never shows Redis credentials in messages', () => {
    expect(redactRedisUrl('redis://user:hunter2@redis:6379/0')).toBe('redis://***:***@redis:6379/0');
    const config = loadConfig({ env: { REDIS_URL: 'redis://:hunter2@redis:6379' } });
    expect(describeRedis(config)).not.toContain('hunter2');
  });
});

function loadDefaults(): Record<string, unknown> {
  const { env: _env, ...rest } = loadConfig({ env: {} }) as unknown as Record<string, unknown>;
  return { ...rest, publicUrl: null, logFormat: 'auto', dataDir: './.data' };
}
