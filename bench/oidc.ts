/**
 * OIDC benchmark, measured the way production runs: the gateway is `supportgate serve` in
 * processes of its own, the load generator (openid-client and a scripted browser) runs here.
 * For each flow it prints the gateway's CPU per operation (user + system time of all its processes
 * and threads over the phase, read from /proc, ÷ operations) against one argon2id verify with the
 * same parameters measured in this same run:
 *   headline = argon2 CPU ms per verify ÷ gateway CPU ms per full login (1.0: a login costs exactly its hash).
 * CPU per operation is measured on `serve --workers 1` after a warm-up (JIT), so neither a cold
 * start nor two workers contending with the load generator for the cores inflate it. Then
 * `serve --workers N` (default: the number of cores) gives logins/s against raw argon2 verifies/s
 * on the same cores. Introspection/s is also compared with a bare oidc-provider on the same
 * adapter (in a process of its own).
 * Run: npm run bench:oidc [-- --seconds 8] [-- --workers N]
 * Profile the gateway: BENCH_GATEWAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
 */
import { availableParallelism } from 'node:os';
import * as client from 'openid-client';
import { Argon2idHasher } from '../src/users/passwords.js';
import { relyingParty, signIn } from './oidc-client.js';
import { benchAdmin, benchRun, freePort, gatewayEnv, seedAcme, serverCpuMs, startChild, startGatewayProcess, waitFor } from './processes.js';

const fmt = (n: number, d = 1) => n.toFixed(d);

/** Runs `work` from `concurrency` loops for `seconds`: operations per second and how many. */
async function rate(seconds: number, concurrency: number, work: (loop: number) => Promise<void>): Promise<{ perSecond: number; count: number }> {
  let count = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      while (performance.now() < end) {
        await work(loop);
        count++;
      }
    }),
  );
  return { perSecond: count / ((performance.now() - start) / 1000), count };
}

/** A phase against the gateway: its rate, and the gateway's CPU ms per operation over it. */
async function measured(gatewayPid: number, seconds: number, concurrency: number, work: (loop: number) => Promise<void>) {
  const cpu0 = serverCpuMs(gatewayPid);
  const r = await rate(seconds, concurrency, work);
  return { ...r, cpuMs: (serverCpuMs(gatewayPid) - cpu0) / r.count };
}

export async function runOidcBench(seconds: number, workers = availableParallelism()): Promise<void> {
  await benchRun(async (run) => {
    const redisHome = run.redis;
    const [port, barePort] = [await freePort(), await freePort()];
    const env = gatewayEnv('oidc', port, redisHome.url);
    const gateway = await startGatewayProcess(env, ['--workers', '1']);
    run.track(gateway);

    // Seed through the same Redis, prefix and DATA_DIR keys the gateway uses.
    const seeded = await benchAdmin(env);
    run.own(seeded.redis);
    const { config, ops } = seeded;
    await seedAcme(ops);
    await ops.openSupport({ tenant: 'acme', username: 'john', hours: 2 });
    const redirectUri = `http://localhost:${port + 1}/callback`;
    const { clientSecret } = await ops.createClient({ tenant: 'acme', clientId: 'bench', redirectUris: [redirectUri], firstParty: true });
    const rp = await relyingParty(`${config.publicUrl}/t/acme`, 'bench', clientSecret!, redirectUri);
    // The same app registered for ES256 ID tokens (RS256 stays every client's default).
    const es = await ops.createClient({ tenant: 'acme', clientId: 'bench-es', redirectUris: [redirectUri], firstParty: true, idTokenAlg: 'ES256' });
    const rpEs = { ...rp, config: await client.discovery(new URL(`${config.publicUrl}/t/acme`), 'bench-es', { client_secret: es.clientSecret!, id_token_signed_response_alg: 'ES256' }, client.ClientSecretBasic(es.clientSecret!), { execute: [client.allowInsecureRequests] }) };
    const cores = availableParallelism();
    const concurrency = Math.max(4, cores * 2);
    const pid = gateway.proc.pid!;
    console.log(`oidc bench: argon2id m=${config.passwords.memoryKiB} t=${config.passwords.timeCost} p=${config.passwords.parallelism}; ${cores} cores; CPU per operation on serve --workers 1, logins/s on serve --workers ${workers}; ${concurrency} concurrent; ${seconds}s each; ${redisHome.where}; Node ${process.version}`);
    console.log('(the gateway in processes of its own; the load generator shares the cores with it, as a browser would not)');

    // argon2 here, with the gateway idle: CPU per verify (all threads of this process), and verifies/s on these cores.
    const hasher = new Argon2idHasher(config.passwords);
    const phc = await hasher.hash('john-secret-pw');
    const before = process.cpuUsage();
    const raw = await rate(seconds, concurrency, async () => {
      if (!(await hasher.verify(phc, 'john-secret-pw'))) throw new Error('verify failed');
    });
    const used = process.cpuUsage(before);
    const argon2CpuMs = (used.user + used.system) / 1000 / raw.count;

    const login = (username: string, password: string) => async () => {
      const r = await signIn(rp, username, password);
      if (!r.ok) throw new Error(`${username}: ${r.error}`);
    };
    // Warm-up: the gateway's code paths compiled before anything is measured.
    await rate(Math.min(3, seconds), concurrency, async (loop) => login(loop % 2 === 0 ? 'john' : 'jill$john', loop % 2 === 0 ? 'john-secret-pw' : 'jill-secret-pw')());
    // Ordinary and support logins alternate in halves, so a drift of the machine's speed during
    // the run weighs on both alike; each figure is over both of its halves.
    const halves = [] as { kind: 'ordinary' | 'support'; r: Awaited<ReturnType<typeof measured>> }[];
    for (const kind of ['ordinary', 'support', 'support', 'ordinary'] as const) {
      halves.push({ kind, r: await measured(pid, seconds / 2, concurrency, kind === 'ordinary' ? login('john', 'john-secret-pw') : login('jill$john', 'jill-secret-pw')) });
    }
    const joined = (kind: 'ordinary' | 'support') => {
      const parts = halves.filter((h) => h.kind === kind).map((h) => h.r);
      const count = parts.reduce((n, p) => n + p.count, 0);
      return { count, perSecond: parts.reduce((n, p) => n + p.perSecond, 0) / parts.length, cpuMs: parts.reduce((n, p) => n + p.cpuMs * p.count, 0) / count };
    };
    const ordinary = joined('ordinary');
    const support = joined('support');
    const ordinaryEs = await measured(pid, seconds, concurrency, async () => {
      const r = await signIn(rpEs, 'john', 'john-secret-pw');
      if (!r.ok) throw new Error(`john (ES256 client): ${r.error}`);
    });

    // Refresh: each loop refreshes its own grant (rotated refresh tokens are followed).
    const refreshTokens: string[] = [];
    for (let i = 0; i < concurrency; i++) {
      const r = await signIn(rp, 'john', 'john-secret-pw', { scope: 'openid profile offline_access' });
      if (!r.ok || !r.tokens.refresh_token) throw new Error('no refresh token to refresh');
      refreshTokens.push(r.tokens.refresh_token);
    }
    const refresh = await measured(pid, seconds, concurrency, async (loop) => {
      const t = await client.refreshTokenGrant(rp.config, refreshTokens[loop]!);
      if (t.refresh_token) refreshTokens[loop] = t.refresh_token;
    });

    const ordinaryTokens = await signIn(rp, 'john', 'john-secret-pw');
    const supportTokens = await signIn(rp, 'jill$john', 'jill-secret-pw');
    if (!ordinaryTokens.ok || !supportTokens.ok) throw new Error('no tokens to introspect');
    const introspect = (config: client.Configuration, token: string) => async () => {
      const r = await client.tokenIntrospection(config, token);
      if (!r.active) throw new Error('inactive');
    };
    const introOrdinary = await measured(pid, seconds, concurrency, introspect(rp.config, ordinaryTokens.tokens.access_token));
    const introSupport = await measured(pid, seconds, concurrency, introspect(rp.config, supportTokens.tokens.access_token));

    // The bare provider on the same adapter, in a process of its own.
    const bareChild = startChild([new URL('./bare-provider.js', import.meta.url).pathname, String(barePort)], env);
    run.track(bareChild);
    await waitFor(`http://127.0.0.1:${barePort}/.well-known/openid-configuration`, bareChild, 'the bare provider');
    const { supportsPKCE: _f, ...meta } = rp.config.serverMetadata();
    const bareConfig = new client.Configuration({ ...meta, introspection_endpoint: `http://127.0.0.1:${barePort}/token/introspection` }, 'bench', clientSecret!);
    client.allowInsecureRequests(bareConfig);
    const bare = await measured(bareChild.proc.pid!, seconds, concurrency, introspect(bareConfig, ordinaryTokens.tokens.access_token));
    await bareChild.stop();

    // The login floors: oidc-provider alone with the least interaction (form, argon2, grant), on
    // the gateway's Redis adapter and on oidc-provider's in-memory one, each in its own process.
    const floorLogin = async (mode: 'redis' | 'memory') => {
      const floorPort = await freePort();
      const child = run.track(startChild([new URL('./floor-provider.js', import.meta.url).pathname, String(floorPort), mode], { ...env, FLOOR_CLIENT_SECRET: clientSecret!, FLOOR_REDIRECT_URI: redirectUri }));
      await waitFor(`http://127.0.0.1:${floorPort}/.well-known/openid-configuration`, child, `the ${mode} floor`);
      const at = (url: unknown) => String(url).replace(`localhost:${port}/t/acme`, `127.0.0.1:${floorPort}`);
      const floorMeta = { ...meta, authorization_endpoint: at(meta.authorization_endpoint), token_endpoint: at(meta.token_endpoint), jwks_uri: at(meta.jwks_uri) };
      const floorRp = { ...rp, config: new client.Configuration(floorMeta, 'bench', clientSecret!) };
      client.allowInsecureRequests(floorRp.config);
      const once = async () => {
        const r = await signIn(floorRp, 'john', 'john-secret-pw');
        if (!r.ok) throw new Error(`${mode} floor: ${r.error}`);
      };
      await rate(Math.min(3, seconds), concurrency, once);
      const r = await measured(child.proc.pid!, seconds, concurrency, once);
      await child.stop();
      return r;
    };
    const floorRedis = await floorLogin('redis');
    const floorMemory = await floorLogin('memory');

    // Throughput on every core: the same gateway as N workers (this one stopped first).
    await gateway.stop();
    const wide = await startGatewayProcess(env, ['--workers', String(workers)], false);
    run.track(wide);
    await rate(Math.min(3, seconds), concurrency, login('john', 'john-secret-pw'));
    const wideLogins = await measured(wide.proc.pid!, seconds, concurrency, login('john', 'john-secret-pw'));

    const headline = argon2CpuMs / ordinary.cpuMs;
    console.log(`argon2id verify (baseline):        ${fmt(argon2CpuMs, 2)} CPU ms per verify; ${fmt(raw.perSecond)} verifies/s on these cores`);
    console.log(`full code-flow login, ordinary:    ${fmt(ordinary.cpuMs, 2)} gateway CPU ms; ${fmt(ordinary.perSecond)}/s with 1 worker`);
    console.log(`full code-flow login, support:     ${fmt(support.cpuMs, 2)} gateway CPU ms (${fmt(support.cpuMs / ordinary.cpuMs, 2)} of ordinary; goal <= 1.05); ${fmt(support.perSecond)}/s`);
    console.log(`login floor, oidc-provider alone on the gateway's Redis adapter: ${fmt(floorRedis.cpuMs, 2)} CPU ms (headline ${fmt(argon2CpuMs / floorRedis.cpuMs, 2)}); the gateway's login is ${fmt(ordinary.cpuMs / floorRedis.cpuMs, 2)} of it`);
    console.log(`login floor, oidc-provider alone in memory (no Redis):         ${fmt(floorMemory.cpuMs, 2)} CPU ms (headline ${fmt(argon2CpuMs / floorMemory.cpuMs, 2)}); the gateway's login is ${fmt(ordinary.cpuMs / floorMemory.cpuMs, 2)} of it`);
    console.log(`full login, ES256 ID token client: ${fmt(ordinaryEs.cpuMs, 2)} gateway CPU ms (headline ${fmt(argon2CpuMs / ordinaryEs.cpuMs, 2)} for clients that register ES256)`);
    console.log(`refresh:                           ${fmt(refresh.cpuMs, 2)} gateway CPU ms; ${fmt(refresh.perSecond)}/s`);
    console.log(`introspection, ordinary token:     ${fmt(introOrdinary.cpuMs, 2)} gateway CPU ms; ${fmt(introOrdinary.perSecond)}/s, ratio to bare oidc-provider ${fmt(introOrdinary.perSecond / bare.perSecond, 2)} (its ${fmt(bare.cpuMs, 2)} CPU ms, ${fmt(bare.perSecond)}/s)`);
    console.log(`introspection, support token:      ${fmt(introSupport.cpuMs, 2)} gateway CPU ms; ${fmt(introSupport.perSecond)}/s, ratio to bare ${fmt(introSupport.perSecond / bare.perSecond, 2)} (re-checks may-enter on every use)`);
    console.log(`logins/s with --workers ${workers}:       ${fmt(wideLogins.perSecond)}/s (${fmt(wideLogins.cpuMs, 2)} gateway CPU ms each), ratio to raw argon2 verifies/s on the same cores ${fmt(wideLogins.perSecond / raw.perSecond, 2)}`);
    console.log(`HEADLINE argon2 CPU per verify / gateway CPU per login: ${fmt(headline, 2)} (1.0 = a login costs exactly its hash; goal >= 0.65, long-term 0.90)`);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  await runOidcBench(arg('--seconds') ?? 8, arg('--workers'));
}
