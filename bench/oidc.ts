/**
 * OIDC benchmark, every figure against a baseline measured in the same run:
 *   full code-flow logins/s (ordinary, support) against raw argon2 verifies/s with the same
 *   parameters; introspection req/s against a bare oidc-provider using the same adapter.
 * Run: npm run bench:oidc [-- --seconds 8]
 */
import { createServer } from 'node:http';
import { availableParallelism } from 'node:os';
import { PassThrough } from 'node:stream';
import Provider from 'oidc-provider';
import * as client from 'openid-client';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startGateway } from '../src/main.js';
import { adapterFor } from '../src/oidc/adapter.js';
import { RedisSupportSessionStore } from '../src/support-access/redis-support-session-store.js';
import { operatorAdmin } from '../src/admin/index.js';
import { loadKeyMaterial } from '../src/secrets/keys.js';
import { Argon2idHasher } from '../src/users/passwords.js';
import { benchRedis } from './private-redis.js';
import { relyingParty, signIn } from './oidc-client.js';

const fmt = (n: number) => n.toFixed(1);

async function rate(seconds: number, concurrency: number, work: () => Promise<void>): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await work();
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

export async function runOidcBench(seconds: number): Promise<void> {
  const redisHome = await benchRedis();
  const port = 20000 + Math.floor(Math.random() * 5000);
  const env = { ...process.env, NODE_ENV: 'development', REDIS_URL: redisHome.url, REDIS_PREFIX: `sgbench-oidc-${process.pid}:`, PORT: String(port), PUBLIC_URL: `http://localhost:${port}`, LOG_LEVEL: 'error', REDIS_CLUSTER_NODES: '' };
  const config = loadConfig({ env });
  const gateway = await startGateway(config, { logger: createLogger({ logLevel: 'error', logFormat: 'json' }, new PassThrough()) });
  try {
    for (let i = 0; i < 100 && (await fetch(`${gateway.url}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
    const ops = operatorAdmin(gateway.domain, { who: 'bench', actor: null, channel: 'system' });
    await ops.createTenant({ id: 'acme' });
    await ops.createUser({ tenant: 'acme', username: 'john', password: 'john-secret-pw' });
    await ops.createUser({ tenant: 'management', username: 'jill', password: 'jill-secret-pw', roles: ['support'], scope: ['acme'] });
    await ops.openSupport({ tenant: 'acme', username: 'john', hours: 2 });
    const redirectUri = `http://localhost:${port + 1}/callback`;
    const { clientSecret } = await ops.createClient({ tenant: 'acme', clientId: 'bench', redirectUris: [redirectUri], firstParty: true });
    const rp = await relyingParty(`${config.publicUrl}/t/acme`, 'bench', clientSecret!, redirectUri);
    const concurrency = Math.max(4, availableParallelism() * 2);
    console.log(`oidc bench: argon2id m=${config.passwords.memoryKiB} t=${config.passwords.timeCost} p=${config.passwords.parallelism}; ${availableParallelism()} cores; ${concurrency} concurrent; ${seconds}s each; ${redisHome.where}; Node ${process.version}`);
    console.log('(the load generator shares the cores with the gateway, as a browser would not)');

    const hasher = new Argon2idHasher(config.passwords);
    const phc = await hasher.hash('john-secret-pw');
    const rawArgon2 = await rate(seconds, concurrency, async () => {
      if (!(await hasher.verify(phc, 'john-secret-pw'))) throw new Error('verify failed');
    });
    const login = (username: string, password: string) => async () => {
      const r = await signIn(rp, username, password);
      if (!r.ok) throw new Error(`${username}: ${r.error}`);
    };
    const ordinary = await rate(seconds, concurrency, login('john', 'john-secret-pw'));
    const support = await rate(seconds, concurrency, login('jill$john', 'jill-secret-pw'));
    console.log(`raw argon2 verifies (baseline):     ${fmt(rawArgon2)}/s`);
    console.log(`full code-flow logins, ordinary:    ${fmt(ordinary)}/s   ratio to raw argon2 ${(ordinary / rawArgon2).toFixed(2)} (goal >= 0.90)`);
    console.log(`full code-flow logins, support:     ${fmt(support)}/s   ratio to ordinary ${(support / ordinary).toFixed(2)} (goal >= 0.95)`);

    // Introspection: the gateway's issuer against a bare provider on the same adapter and tokens.
    const keys = await loadKeyMaterial(config);
    const bare = new Provider(`${config.publicUrl}/t/acme`, {
      adapter: adapterFor({ redis: gateway.redis, prefix: config.redis.prefix, tenant: 'acme', access: gateway.domain, clients: gateway.domain.clients, secretBox: gateway.domain.secretBox, sessions: new RedisSupportSessionStore(gateway.redis, config.redis.prefix) }),
      jwks: keys.jwks as never,
      cookies: { keys: keys.cookieSecrets },
      extraClientMetadata: { properties: ['sg_first_party', 'sg_resource_server'] },
      features: { devInteractions: { enabled: false }, introspection: { enabled: true, allowedPolicy: async () => true }, resourceIndicators: { enabled: false } },
      findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    });
    const bareServer = createServer(bare.callback());
    await new Promise<void>((r) => bareServer.listen(port + 2, r));
    const bareUrl = `http://localhost:${port + 2}`;
    const ordinaryTokens = await signIn(rp, 'john', 'john-secret-pw');
    const supportTokens = await signIn(rp, 'jill$john', 'jill-secret-pw');
    if (!ordinaryTokens.ok || !supportTokens.ok) throw new Error('no tokens to introspect');
    // The bare provider answers at another port: point the introspection endpoint there.
    const { supportsPKCE: _f, ...meta } = rp.config.serverMetadata();
    const bareConfig = new client.Configuration({ ...meta, introspection_endpoint: `${bareUrl}/token/introspection` }, 'bench', clientSecret!);
    client.allowInsecureRequests(bareConfig);
    const introspect = (config: client.Configuration, token: string) => async () => {
      const r = await client.tokenIntrospection(config, token);
      if (!r.active) throw new Error('inactive');
    };
    const bareRate = await rate(seconds, concurrency, introspect(bareConfig, ordinaryTokens.tokens.access_token));
    const gwOrdinary = await rate(seconds, concurrency, introspect(rp.config, ordinaryTokens.tokens.access_token));
    const gwSupport = await rate(seconds, concurrency, introspect(rp.config, supportTokens.tokens.access_token));
    console.log(`introspection, bare oidc-provider (baseline): ${fmt(bareRate)}/s`);
    console.log(`introspection, gateway, ordinary token:       ${fmt(gwOrdinary)}/s   ratio to bare ${(gwOrdinary / bareRate).toFixed(2)} (goal >= 0.80)`);
    console.log(`introspection, gateway, support token:        ${fmt(gwSupport)}/s   ratio to bare ${(gwSupport / bareRate).toFixed(2)} (re-checks may-enter on every use)`);
    bareServer.close();
    bareServer.closeAllConnections();
  } finally {
    await gateway.stop();
    await redisHome.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--seconds');
  await runOidcBench(i > 0 ? Number(process.argv[i + 1]) : 8);
}
