/**
 * The introspection baseline of the OIDC bench: a bare oidc-provider for tenant acme on the
 * gateway's own adapter, Redis and keys, in a process of its own (as the gateway is), so the
 * gateway's introspection is measured against what oidc-provider costs by itself.
 *   node dist/bench/bare-provider.js <port>   (the gateway's environment: REDIS_URL, REDIS_PREFIX, DATA_DIR, PUBLIC_URL)
 */
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { loadConfig } from '../src/config.js';
import { createDomain } from '../src/domain.js';
import { adapterFor } from '../src/oidc/adapter.js';
import { connectRedis, createRedis } from '../src/redis/client.js';
import { loadKeyMaterial } from '../src/secrets/keys.js';
import { RedisSupportSessionStore } from '../src/support-access/redis-support-session-store.js';

const port = Number(process.argv[2] ?? '0');
const config = loadConfig();
const redis = createRedis(config, { mode: 'server' });
await connectRedis(redis, config);
const keys = await loadKeyMaterial(config);
const domain = createDomain(config, redis, keys.clientSecretsKey);
const bare = new Provider(`${config.publicUrl}/t/acme`, {
  adapter: adapterFor({ redis, prefix: config.redis.prefix, tenant: 'acme', access: domain, clients: domain.clients, secretBox: domain.secretBox, sessions: new RedisSupportSessionStore(redis, config.redis.prefix) }),
  jwks: keys.jwks as never,
  cookies: { keys: keys.cookieSecrets },
  extraClientMetadata: { properties: ['sg_first_party', 'sg_resource_server'] },
  features: { devInteractions: { enabled: false }, introspection: { enabled: true, allowedPolicy: async () => true }, resourceIndicators: { enabled: false } },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
});
const server = createServer(bare.callback()).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  redis.disconnect();
});
