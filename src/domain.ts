import { AuditLog, type AuditLogObserver } from './audit/audit-log.js';
import { RedisAuditStore } from './audit/redis-audit-store.js';
import type { AuditStore } from './audit/store.js';
import { RedisClientStore } from './clients/redis-client-store.js';
import type { ClientRules, ClientStore } from './clients/clients.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { RedisEventBus, type EventBus } from './events.js';
import { RedisSupportWindowStore } from './support-access/redis-support-store.js';
import type { SupportWindowStore } from './support-access/store.js';
import type { Logger } from './logger.js';
import type { RedisClient } from './redis/client.js';
import { SecretBox } from './secrets/secret-box.js';
import { RedisSettingsStore } from './settings/redis-settings-store.js';
import type { SettingsStore } from './settings/settings.js';
import { RedisTenantStore } from './tenants/redis-tenant-store.js';
import type { TenantStore } from './tenants/tenants.js';
import { Argon2idHasher, type PasswordHasher } from './users/passwords.js';
import { RedisUserStore } from './users/redis-user-store.js';
import type { UserStore } from './users/users.js';

/** The stores and services every entry point (server, CLI, demo) works with, wired by hand. */
export interface Domain {
  clock: Clock;
  tenants: TenantStore;
  users: UserStore;
  settings: SettingsStore;
  clients: ClientStore;
  /** The deployment's client registration rules (BACKCHANNEL_LOGOUT_ALLOW_HTTP); absent: the defaults. */
  clientRules?: ClientRules;
  hasher: PasswordHasher;
  secretBox: SecretBox;
  auditStore: AuditStore;
  audit: AuditLog;
  windows: SupportWindowStore;
  events: EventBus;
}

export function createDomain(
  config: Config,
  redis: RedisClient,
  clientSecretsKey: string | readonly string[],
  clock: Clock = systemClock,
  logger?: Logger,
  /** A gateway's metrics (none in the CLI): the audit log reports its appends there. */
  metrics?: AuditLogObserver,
): Domain {
  const prefix = config.redis.prefix;
  // Writes that must survive a failover wait for this many replicas (0: none, the default).
  const acks = { replicas: config.redis.replicaAcks, timeoutMs: config.redis.replicaAckTimeoutMs };
  const auditStore = new RedisAuditStore(redis, prefix, acks);
  return {
    auditStore,
    audit: new AuditLog(auditStore, clock, logger, metrics),
    windows: new RedisSupportWindowStore(redis, prefix, acks),
    events: new RedisEventBus(redis, prefix, logger, clock),
    clock,
    tenants: new RedisTenantStore(redis, prefix),
    users: new RedisUserStore(redis, prefix),
    settings: new RedisSettingsStore(redis, prefix),
    clients: new RedisClientStore(redis, prefix),
    clientRules: { backchannelLogoutAllowHttp: config.backchannelLogout.allowHttp },
    hasher: new Argon2idHasher(config.passwords),
    secretBox: new SecretBox(clientSecretsKey),
  };
}
