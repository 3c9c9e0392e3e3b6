/**
 * The login floor of the OIDC bench: what a full code-flow login costs with oidc-provider alone,
 * in a process of its own (as the gateway is). Its interaction is the least a login can be: a
 * form, one argon2id verify with the gateway's parameters, a grant, `interactionFinished`. No
 * tenant, support rules, limits, audit or CSRF. Two floors:
 *   node dist/bench/floor-provider.js <port> redis    oidc-provider on the gateway's own Redis adapter
 *   node dist/bench/floor-provider.js <port> memory   oidc-provider's in-memory adapter (no Redis at all)
 * Environment: the gateway's (REDIS_URL, REDIS_PREFIX, DATA_DIR, PUBLIC_URL), plus
 * FLOOR_CLIENT_SECRET and FLOOR_REDIRECT_URI for the memory floor's client.
 */
import { createServer, type IncomingMessage } from 'node:http';
import Provider, { type Configuration } from 'oidc-provider';
import { loadConfig } from '../src/config.js';
import { createDomain } from '../src/domain.js';
import { adapterFor } from '../src/oidc/adapter.js';
import { connectRedis, createRedis } from '../src/redis/client.js';
import { loadKeyMaterial } from '../src/secrets/keys.js';
import { RedisSupportSessionStore } from '../src/support-access/redis-support-session-store.js';
import { Argon2idHasher } from '../src/users/passwords.js';

const port = Number(process.argv[2] ?? '0');
const mode = process.argv[3] === 'memory' ? 'memory' : 'redis';
const config = loadConfig();
const keys = await loadKeyMaterial(config);
const hasher = new Argon2idHasher(config.passwords);
const phc = await hasher.hash('john-secret-pw');

let closeRedis = () => {};
let store: Pick<Configuration, 'adapter' | 'clients'>;
if (mode === 'redis') {
  const redis = createRedis(config, { mode: 'server' });
  await connectRedis(redis, config);
  closeRedis = () => redis.disconnect();
  const domain = createDomain(config, redis, keys.clientSecretsKey);
  store = { adapter: adapterFor({ redis, prefix: config.redis.prefix, tenant: 'acme', access: domain, clients: domain.clients, secretBox: domain.secretBox, sessions: new RedisSupportSessionStore(redis, config.redis.prefix) }) };
} else {
  store = { clients: [{ client_id: 'bench', client_secret: process.env.FLOOR_CLIENT_SECRET!, redirect_uris: [process.env.FLOOR_REDIRECT_URI!], grant_types: ['authorization_code', 'refresh_token'] }] };
}

const provider = new Provider(`${config.publicUrl}/t/acme`, {
  ...store,
  jwks: keys.jwks as never,
  cookies: { keys: keys.cookieSecrets },
  extraClientMetadata: { properties: ['sg_first_party', 'sg_resource_server'] },
  // The gateway's lifetimes (and no notice per artifact kind about defaults).
  ttl: { AccessToken: 3600, IdToken: 3600, Interaction: 3600, Grant: 14 * 86400, Session: 14 * 86400, AuthorizationCode: 60, RefreshToken: 14 * 86400 },
  features: { devInteractions: { enabled: false }, resourceIndicators: { enabled: false } },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, preferred_username: sub }) }),
});

function body(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(new URLSearchParams(text)));
    req.on('error', reject);
  });
}

const oidc = provider.callback();
const server = createServer((req, res) => {
  const match = /^\/interaction\/([\w-]+)$/.exec(req.url ?? '');
  if (!match) return void oidc(req, res);
  void (async () => {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<form method="post" action="/interaction/${details.uid}"><input type="hidden" name="csrf" value="none"><input name="username"><input name="password" type="password"></form>`);
      return;
    }
    const form = await body(req);
    if (!(await hasher.verify(phc, form.get('password') ?? ''))) {
      res.statusCode = 401;
      res.end('<p role="alert">wrong password</p>');
      return;
    }
    const accountId = form.get('username') ?? '';
    const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: false });
  })().catch((err: unknown) => {
    res.statusCode = 500;
    res.end(String(err));
  });
}).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));

process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  closeRedis();
});
