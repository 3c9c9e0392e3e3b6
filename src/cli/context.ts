import { userInfo } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { AuditContext } from '../audit/audited.js';
import { loadConfig, type Config } from '../config.js';
import { createDomain, type Domain } from '../domain.js';
import { AppError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import { closeRedis, connectRedis, createRedis, type RedisClient } from '../redis/client.js';
import { SigningKeys } from '../secrets/signing-keys.js';
import { loadKeyMaterial } from '../secrets/keys.js';
import { operatorAdmin, type Admin } from '../admin/index.js';
import { resolveInterrupted } from '../audit/interrupted.js';
import { ensureManagementTenant } from '../tenants/tenants.js';
import { printable } from '../text/printable.js';

export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

/**
 * What every command gets: output helpers that honour --json, and the domain, opened on first
 * use (so `--help` and usage errors never touch Redis) and closed when the command ends.
 */
export class CliContext {
  json = false;
  /** Set by a command that printed its result but must still exit non-zero (a broken audit chain). */
  failed = false;
  /** Set by a command whose exit code is its own (serve's primary: why its workers ended). */
  exitCode: number | undefined;
  private opened: { redis: RedisClient; domain: Domain } | undefined;
  private configCache: Config | undefined;
  private loggerCache: Logger | undefined;

  constructor(readonly io: CliIO) {}

  get config(): Config {
    this.configCache ??= loadConfig({ env: this.io.env });
    return this.configCache;
  }

  /** Logs go to stderr: stdout carries only the command's output. */
  get logger(): Logger {
    this.loggerCache ??= createLogger({ logLevel: 'warn', logFormat: this.config.logFormat }, this.io.stderr);
    return this.loggerCache;
  }

  async domain(): Promise<Domain> {
    if (this.opened) return this.opened.domain;
    const config = this.config;
    const keys = await loadKeyMaterial(config);
    const redis = createRedis(config, { mode: 'cli' });
    await connectRedis(redis, config);
    const domain = createDomain(config, redis, keys.clientSecretsKey, undefined, this.logger);
    this.opened = { redis, domain };
    await ensureManagementTenant(domain.tenants, domain.clock);
    return domain;
  }

  /** The signing keyrings, on the opened domain (SIGNING_KEYS_FILE's keys are the platform's first). */
  async signingKeys(): Promise<SigningKeys> {
    const domain = await this.domain();
    const keys = await loadKeyMaterial(this.config);
    const { replicaAcks: replicas, replicaAckTimeoutMs: timeoutMs } = this.config.redis;
    return new SigningKeys({ redis: this.opened!.redis, prefix: this.config.redis.prefix, box: domain.secretBox, clock: domain.clock, fileKeys: keys.jwks.keys, replicaAcks: { replicas, timeoutMs } });
  }

  /** Entries of CLI actions name the operating-system user: `cli:<user>`. */
  get auditContext(): AuditContext {
    return cliAuditContext(this.io.env);
  }

  /** The audited administrative actions, on the opened domain. */
  async operations(): Promise<Admin> {
    const domain = await this.domain();
    // Entries of actions an earlier process left half done are completed first.
    await resolveInterrupted({ audit: domain.audit, tenants: domain.tenants, logger: this.logger }, domain.clock.now());
    return operatorAdmin(domain, this.auditContext, this.logger);
  }

  /** A long-running command (serve) that shuts down on SIGTERM/SIGINT by itself. */
  ownsSignals = false;

  /** Resolves when no audited action of this command is between its change and its entry. */
  async whenIdle(): Promise<void> {
    await this.opened?.domain.audit.whenIdle();
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    const { redis } = this.opened;
    this.opened = undefined;
    await closeRedis(redis);
  }

  /** Prints `data` as one JSON document with --json, else the human text. */
  print(data: unknown, human: string | (() => string)): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(data)}\n`);
    else this.io.stdout.write(`${typeof human === 'function' ? human() : human}\n`);
  }

  /** The password piped on stdin: one trailing newline removed, nothing else touched. */
  async readPassword(): Promise<string> {
    const stdin = this.io.stdin as Readable & { isTTY?: boolean };
    if (stdin.isTTY) {
      throw new AppError('PASSWORD_STDIN_TTY');
    }
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    if (text.length === 0) throw new AppError('PASSWORD_STDIN_EMPTY');
    return text;
  }
}

/** Who a command-line action is: `cli:<operating-system user>`. */
export function cliAuditContext(env: NodeJS.ProcessEnv): AuditContext {
  let osUser = env.USER ?? 'unknown';
  try {
    osUser = userInfo().username;
  } catch {
    /* no passwd entry (some containers): keep $USER */
  }
  return { who: `cli:${osUser}`, actor: { type: 'service', id: 'cli', name: osUser.slice(0, 200), tenant: null }, channel: 'cli' };
}

/** Renders rows as an aligned text table; every cell is made printable (names and reasons can be anything typed). */
export function table(headers: string[], cells: string[][]): string {
  const rows = cells.map((r) => r.map(printable));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
