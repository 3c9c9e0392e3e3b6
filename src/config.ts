import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { AppError } from './errors.js';
import { packageRoot } from './paths.js';

/**
 * One typed configuration: config/default.json < config/<NODE_ENV>.json < environment variables.
 * Validation reports every bad field at once, each named by its config path and environment name.
 */
export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  publicUrl: string;
  /**
   * replicaAcks: replicas that must hold an audit entry or a support-window change before it counts
   * as written (WAIT; 0: asynchronous replication), within replicaAckTimeoutMs, else the action fails closed.
   */
  redis: { url: string; clusterNodes: string[]; prefix: string; commandTimeoutMs: number; replicaAcks: number; replicaAckTimeoutMs: number };
  dataDir: string;
  logLevel: 'error' | 'warn' | 'info' | 'http' | 'debug';
  logFormat: 'json' | 'pretty';
  /** false, or the proxies whose forwarded headers are believed (addresses, subnets, named ranges). */
  trustProxy: false | string[];
  passwords: { memoryKiB: number; timeCost: number; parallelism: number };
  keys: {
    signingKeysFile: string | null;
    cookieSecrets: string[];
    /** Keys sealing secrets at rest, newest first (the newest seals, every one opens); empty: none configured. */
    clientSecretsKey: string[];
    /** Ed25519 private key (PEM or JWK file) that signs audit digests. */
    auditDigestKeyFile: string | null;
    /** Ed25519 public keys (base64url, 32 bytes) `audit verify` trusts besides the key file's own. */
    auditDigestPublicKeys: string[];
  };
  login: {
    maxFailuresPerAccountAddress: number;
    maxFailuresPerAddress: number;
    maxFailuresPerAccount: number;
    supportMaxFailuresPerAccountAddress: number;
    supportMaxFailuresPerAccount: number;
    blockSeconds: number;
    accountFailureHours: number;
    knownAddressDays: number;
  };
  audit: { retentionDays: number; digestEveryEntries: number; digestEverySeconds: number };
  forwardAuth: {
    /** A header (set by the proxy) naming the tenant of a request; null: the tenant whose domain the host is. */
    tenantHeader: string | null;
    /** Lifetime of the signed X-Auth-Token for the upstream app; 0: none is sent. */
    tokenSeconds: number;
  };
  /** Prometheus metrics on a listener of their own (never the public port); port 0: off. */
  metrics: { port: number; host: string };
  /** Back-channel logout (src/oidc/backchannel-logout.ts). */
  backchannelLogout: {
    /** Plain http:// back-channel logout URIs on hosts other than loopback may be registered. */
    allowHttp: boolean;
  };
  shutdownTimeoutMs: number;
}

/** Environment variable → config path. The names of SPEC §9 plus the ones the defaults document. */
const ENV_NAMES: Record<string, string> = {
  PORT: 'port',
  PUBLIC_URL: 'publicUrl',
  REDIS_URL: 'redis.url',
  REDIS_CLUSTER_NODES: 'redis.clusterNodes',
  REDIS_PREFIX: 'redis.prefix',
  REDIS_COMMAND_TIMEOUT_MS: 'redis.commandTimeoutMs',
  REDIS_REPLICA_ACKS: 'redis.replicaAcks',
  REDIS_REPLICA_ACK_TIMEOUT_MS: 'redis.replicaAckTimeoutMs',
  DATA_DIR: 'dataDir',
  LOG_LEVEL: 'logLevel',
  LOG_FORMAT: 'logFormat',
  TRUST_PROXY: 'trustProxy',
  ARGON2_MEMORY_KIB: 'passwords.memoryKiB',
  ARGON2_TIME_COST: 'passwords.timeCost',
  ARGON2_PARALLELISM: 'passwords.parallelism',
  SIGNING_KEYS_FILE: 'keys.signingKeysFile',
  COOKIE_SECRETS: 'keys.cookieSecrets',
  CLIENT_SECRETS_KEY: 'keys.clientSecretsKey',
  AUDIT_DIGEST_KEY_FILE: 'keys.auditDigestKeyFile',
  AUDIT_DIGEST_PUBLIC_KEYS: 'keys.auditDigestPublicKeys',
  LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS: 'login.maxFailuresPerAccountAddress',
  LOGIN_MAX_FAILURES_PER_ADDRESS: 'login.maxFailuresPerAddress',
  LOGIN_MAX_FAILURES_PER_ACCOUNT: 'login.maxFailuresPerAccount',
  LOGIN_SUPPORT_MAX_FAILURES_PER_ACCOUNT_ADDRESS: 'login.supportMaxFailuresPerAccountAddress',
  LOGIN_SUPPORT_MAX_FAILURES_PER_ACCOUNT: 'login.supportMaxFailuresPerAccount',
  LOGIN_BLOCK_SECONDS: 'login.blockSeconds',
  LOGIN_ACCOUNT_FAILURE_HOURS: 'login.accountFailureHours',
  LOGIN_KNOWN_ADDRESS_DAYS: 'login.knownAddressDays',
  AUDIT_RETENTION_DAYS: 'audit.retentionDays',
  AUDIT_DIGEST_EVERY_ENTRIES: 'audit.digestEveryEntries',
  AUDIT_DIGEST_EVERY_SECONDS: 'audit.digestEverySeconds',
  FORWARD_AUTH_TENANT_HEADER: 'forwardAuth.tenantHeader',
  FORWARD_AUTH_TOKEN_SECONDS: 'forwardAuth.tokenSeconds',
  METRICS_PORT: 'metrics.port',
  METRICS_HOST: 'metrics.host',
  BACKCHANNEL_LOGOUT_ALLOW_HTTP: 'backchannelLogout.allowHttp',
  SHUTDOWN_TIMEOUT_MS: 'shutdownTimeoutMs',
};
const ENV_OF_PATH = Object.fromEntries(Object.entries(ENV_NAMES).map(([env, path]) => [path, env]));

const integer = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
    z.number({ error: `must be an integer between ${min} and ${max}` }).int(`must be an integer between ${min} and ${max}`).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
  );

const list = (item: z.ZodType<string>) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
    z.array(item, { error: 'must be a list (comma separated in the environment)' }),
  );

const httpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash;
  } catch {
    return false;
  }
}, 'must be an http(s) URL without query or fragment');

const redisUrl = z.string({ error: 'must be a redis:// or rediss:// URL' }).refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
  } catch {
    return false;
  }
}, 'must be a redis:// or rediss:// URL');

/** An address, a subnet (address/prefix) or one of express's named ranges. */
function isProxyAddress(s: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(s)) return true;
  const [address, bits, ...rest] = s.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each node must be host:port');

const schema = z.object({
  env: z.enum(['development', 'production', 'test'], { error: 'must be development, production or test' }),
  port: integer(0, 65535),
  publicUrl: z.union([z.null(), httpUrl]),
  redis: z.object({
    url: redisUrl,
    clusterNodes: list(hostPort),
    prefix: z
      .string()
      .min(1, 'must not be empty')
      .max(64, 'must be at most 64 characters')
      .regex(/^[^{}\s]+$/, 'must not contain {, } or spaces (hash tags are added per tenant)'),
    commandTimeoutMs: integer(100, 60000),
    replicaAcks: integer(0, 5),
    replicaAckTimeoutMs: integer(1, 10000),
  }),
  dataDir: z.string().min(1, 'must not be empty'),
  logLevel: z.enum(['error', 'warn', 'info', 'http', 'debug'], { error: 'must be error, warn, info, http or debug' }),
  logFormat: z.enum(['auto', 'json', 'pretty'], { error: 'must be auto, json or pretty' }),
  // Forwarded headers (X-Forwarded-For/-Proto/-Host) are believed only from proxies named here:
  // `true` or a hop count would believe whoever connects, letting a client choose its own audit
  // address and rate-limit key.
  trustProxy: z.preprocess(
    (v) => {
      if (typeof v !== 'string') return v;
      if (v === 'false' || v === '') return false;
      // Left as they are so that the refusal names the rule, not a bad address.
      if (v === 'true' || /^\d+$/.test(v)) return v;
      return v.split(',').map((s) => s.trim()).filter(Boolean);
    },
    z.union([
      z.literal(false),
      z
        .array(z.string().refine(isProxyAddress, { error: (i) => `"${String(i.input)}" is not an address, a subnet (a.b.c.d/n) or loopback, linklocal, uniquelocal` }))
        .min(1, 'name at least one proxy'),
    ], {
      error: 'must be false or the proxies to trust: addresses, subnets, or loopback, linklocal, uniquelocal (true and hop counts are refused: they trust any client)',
    }),
  ),
  passwords: z.object({
    memoryKiB: integer(1024, 4 * 1024 * 1024),
    timeCost: integer(1, 100),
    parallelism: integer(1, 16),
  }),
  keys: z.object({
    signingKeysFile: z.union([z.null(), z.string().min(1)]),
    cookieSecrets: list(z.string().min(32, 'each cookie secret must have at least 32 characters')),
    // One key or a list, newest first (config: a string or a list; environment: comma separated); null: none.
    clientSecretsKey: z.preprocess(
      (v) => (v === null ? [] : typeof v === 'string' && !v.includes(',') ? [v] : v),
      list(z.string().refine((s) => /^[A-Za-z0-9_-]{43}$/.test(s) && Buffer.from(s, 'base64url').length === 32, 'each key must be 32 bytes, base64url encoded')),
    ),
    auditDigestKeyFile: z.union([z.null(), z.string().min(1)]),
    auditDigestPublicKeys: list(
      z.string().refine((s) => /^[A-Za-z0-9_-]{43}$/.test(s), 'each must be an Ed25519 public key: 32 bytes, base64url encoded (the "x" of its JWK)'),
    ),
  }),
  // NIST SP 800-63B: no more than 100 consecutive failed attempts on one account.
  login: z.object({
    maxFailuresPerAccountAddress: integer(1, 1000),
    maxFailuresPerAddress: integer(1, 1000000),
    maxFailuresPerAccount: integer(1, 100),
    supportMaxFailuresPerAccountAddress: integer(1, 1000),
    supportMaxFailuresPerAccount: integer(1, 100),
    blockSeconds: integer(1, 86400),
    accountFailureHours: integer(1, 8760),
    knownAddressDays: integer(1, 365),
  }),
  audit: z.object({ retentionDays: integer(0, 36500), digestEveryEntries: integer(1, 1_000_000), digestEverySeconds: integer(1, 86400) }),
  forwardAuth: z.object({
    tenantHeader: z.preprocess(
      (v) => (v === 'null' || v === '' ? null : v),
      z.union([z.null(), z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name (letters, digits, -)')]),
    ),
    tokenSeconds: z.preprocess(
      (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
      z.number({ error: 'must be 0 (no token) or 10 to 300 seconds' }).int('must be 0 (no token) or 10 to 300 seconds').refine((n) => n === 0 || (n >= 10 && n <= 300), 'must be 0 (no token) or 10 to 300 seconds'),
    ),
  }),
  metrics: z.object({
    port: integer(0, 65535),
    host: z.string().refine((h) => isIP(h) !== 0 || h === 'localhost', 'must be an IP address (or localhost) to listen on'),
  }),
  backchannelLogout: z.object({
    allowHttp: z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean({ error: 'must be true or false' })),
  }),
  shutdownTimeoutMs: integer(0, 600000),
});

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge where later layers win; `//` keys are documentation and dropped. */
function merge(base: Raw, over: Raw): Raw {
  const out: Raw = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (k.startsWith('//')) continue;
    out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Raw, v) : v;
  }
  return out;
}

function stripDocs(v: Raw): Raw {
  return merge({}, v);
}

function setPath(target: Raw, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = target;
  for (const p of parts.slice(0, -1)) {
    if (!isObject(cur[p])) cur[p] = {};
    cur = cur[p] as Raw;
  }
  cur[parts.at(-1)!] = value;
}

function readJson(file: string, issues: string[]): Raw {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!isObject(parsed)) {
      issues.push(`${file}: must hold a JSON object`);
      return {};
    }
    return stripDocs(parsed);
  } catch (err) {
    issues.push(`${file}: ${(err as Error).message}`);
    return {};
  }
}

function describePath(path: string): string {
  const env = ENV_OF_PATH[path];
  return env ? `${path} (${env})` : path;
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Folder holding default.json and <NODE_ENV>.json; the package's config/ by default. */
  configDir?: string;
  /** Relative dataDir resolves against this; the working directory by default. */
  cwd?: string;
}

/** Loads and validates the configuration, throwing INVALID_CONFIG with one issue per bad field. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const configDir = options.configDir ?? join(packageRoot(), 'config');
  const issues: string[] = [];
  const nodeEnv = env.NODE_ENV && env.NODE_ENV !== '' ? env.NODE_ENV : 'development';

  let raw = readJson(join(configDir, 'default.json'), issues);
  const envFile = join(configDir, `${nodeEnv}.json`);
  if (/^[a-z]+$/.test(nodeEnv) && existsSync(envFile)) raw = merge(raw, readJson(envFile, issues));
  raw.env = nodeEnv;
  for (const [name, path] of Object.entries(ENV_NAMES)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, path, value);
  }

  const result = schema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.filter((p) => typeof p === 'string').join('.');
      const label = path === 'env' ? 'env (NODE_ENV)' : describePath(path);
      issues.push(`${label}: ${issue.message}`);
    }
  }
  // The metrics listener is private by design: on the public port its figures would be anyone's.
  if (result.success && result.data.metrics.port !== 0 && result.data.metrics.port === result.data.port) {
    issues.push(`${describePath('metrics.port')}: must not be the public port ${result.data.port}`);
  }
  if (issues.length > 0 || !result.success) {
    throw new AppError('CONFIG_ISSUES', undefined, { issues, params: { issues: issues.join('; ') } });
  }
  const c = result.data;
  const cwd = options.cwd ?? process.cwd();
  return {
    env: c.env,
    port: c.port,
    publicUrl: (c.publicUrl ?? `http://localhost:${c.port}`).replace(/\/+$/, ''),
    redis: c.redis,
    dataDir: isAbsolute(c.dataDir) ? c.dataDir : resolve(cwd, c.dataDir),
    logLevel: c.logLevel,
    logFormat: c.logFormat === 'auto' ? (c.env === 'production' ? 'json' : 'pretty') : c.logFormat,
    trustProxy: c.trustProxy,
    passwords: c.passwords,
    keys: c.keys,
    login: c.login,
    audit: c.audit,
    forwardAuth: { tenantHeader: c.forwardAuth.tenantHeader?.toLowerCase() ?? null, tokenSeconds: c.forwardAuth.tokenSeconds },
    metrics: c.metrics,
    backchannelLogout: c.backchannelLogout,
    shutdownTimeoutMs: c.shutdownTimeoutMs,
  };
}

/** A Redis URL fit for logs and errors: credentials replaced. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = u.username ? '***' : '';
      u.password = u.password ? '***' : '';
    }
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Where the gateway's Redis is, for messages: never with credentials. */
export function describeRedis(config: Config): string {
  return config.redis.clusterNodes.length > 0
    ? `Redis Cluster ${config.redis.clusterNodes.join(',')}`
    : `Redis at ${redactRedisUrl(config.redis.url)}`;
}
