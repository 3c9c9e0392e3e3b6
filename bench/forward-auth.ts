/**
 * Forward-auth benchmark (SPEC §5), every figure against a baseline measured in the same run:
 *   GET /auth/verify decisions/s and p99 with an ordinary and a support bearer token, against a
 *   bare express app answering GET /hello; then "Disable support" under support load: how many
 *   requests still passed once the close had returned (goal 0), and how soon the first 401 came.
 * The gateway (`node bin/supportgate.js serve`) and the baseline app run in processes of their
 * own; the load generator (autocannon) and the seeding run here, against the same private Redis.
 * A second baseline, the floor app, does only what every audited decision must: one Redis read
 * and a batched stream append; the gateway's ratio to it is the cost of its own work.
 * Run: npm run bench:forward-auth [-- --seconds 8]
 * Profile the gateway: BENCH_GATEWAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' (node flags
 * for the gateway process only; Node refuses --cpu-prof in NODE_OPTIONS).
 */
import { availableParallelism } from 'node:os';
import autocannon from 'autocannon';
import { relyingParty, signIn } from './oidc-client.js';
import { benchAdmin, benchRun, freePort, gatewayEnv, startChild, startGatewayProcess, waitFor } from './processes.js';

const CONNECTIONS = 64;
const HOST = 'shop.example.test';
const fmt = (n: number) => n.toFixed(1);

function cannon(opts: autocannon.Options, onInstance?: (instance: autocannon.Instance) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    onInstance?.(instance);
  });
}

/** Fails loudly unless every answer of the phase was a 200 (autocannon itself only counts them). */
function allOk(label: string, r: autocannon.Result): void {
  const codes = Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => `${code}: ${s.count ?? 0}`);
  const not200 = Object.entries(r.statusCodeStats ?? {}).some(([code, s]) => code !== '200' && (s.count ?? 0) > 0);
  if (not200 || r.non2xx > 0 || r.errors > 0 || r.timeouts > 0 || r.requests.total === 0) {
    throw new Error(`${label}: not every answer was 200 (${codes.join(', ') || 'no answers'}; non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts})`);
  }
}

export async function runForwardAuthBench(seconds: number): Promise<void> {
  await benchRun(async (run) => {
    const redisHome = run.redis;
    const [port, helloPort, floorPort, rawFloorPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const env = gatewayEnv('fa', port, redisHome.url, { TRUST_PROXY: 'loopback' });
    // One process, as the baselines are (SPEC §7 allows more; the OIDC bench measures workers).
    const gateway = await startGatewayProcess(env, ['--workers', '1']);
    run.track(gateway);
    const hello = startChild([new URL('./hello-app.js', import.meta.url).pathname, String(helloPort)], process.env);
    run.track(hello);
    const floor = startChild([new URL('./floor-app.js', import.meta.url).pathname, String(floorPort), redisHome.url, `sgbench-floor-${process.pid}:`], process.env);
    run.track(floor);
    const rawFloor = startChild([new URL('./floor-app.js', import.meta.url).pathname, String(rawFloorPort), redisHome.url, `sgbench-rawfloor-${process.pid}:`, 'raw'], process.env);
    run.track(rawFloor);
    await waitFor(`http://127.0.0.1:${helloPort}/hello`, hello, 'the hello app');
    await waitFor(`http://127.0.0.1:${floorPort}/verify`, floor, 'the floor app');
    await waitFor(`http://127.0.0.1:${rawFloorPort}/verify`, rawFloor, 'the node:http floor app');

    // Seed through the same Redis and prefix (and DATA_DIR keys) the gateway process uses.
    const seeded = await benchAdmin(env);
    run.own(seeded.redis);
    const { config, ops } = seeded;
    await ops.createTenant({ id: 'shop', domains: [HOST] });
    await ops.createUser({ tenant: 'shop', username: 'john', password: 'john-secret-pw' });
    await ops.createUser({ tenant: 'shop', username: 'admin', password: 'admin-secret-pw', roles: ['tenant-admin'] });
    await ops.createUser({ tenant: 'management', username: 'jill', password: 'jill-secret-pw', roles: ['support'], scope: ['shop'] });
    await ops.openSupport({ tenant: 'shop', username: 'admin', reason: 'forward-auth bench' });
    const redirectUri = `http://localhost:${helloPort}/callback`;
    const { clientSecret } = await ops.createClient({ tenant: 'shop', clientId: 'bench', redirectUris: [redirectUri], firstParty: true });
    const rp = await relyingParty(`${config.publicUrl}/t/shop`, 'bench', clientSecret!, redirectUri);
    const token = async (username: string, password: string) => {
      const r = await signIn(rp, username, password);
      if (!r.ok) throw new Error(`${username}: ${r.error}`);
      return r.tokens.access_token;
    };
    const john = await token('john', 'john-secret-pw');
    const jill = await token('jill$john', 'jill-secret-pw');

    console.log(`forward-auth bench: ${availableParallelism()} cores; ${CONNECTIONS} connections; ${seconds}s each; Node ${process.version}; ${redisHome.where}`);
    console.log('(gateway and baseline app each in a process of their own; the load generator shares the cores with them)');

    const verify = (bearer: string): autocannon.Options => ({
      url: `http://127.0.0.1:${port}/auth/verify`,
      connections: CONNECTIONS,
      duration: seconds,
      headers: { authorization: `Bearer ${bearer}`, 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/orders?x=1', 'x-forwarded-host': HOST },
    });

    const bare = await cannon({ url: `http://127.0.0.1:${helloPort}/hello`, connections: CONNECTIONS, duration: seconds });
    allOk('bare express hello', bare);
    console.log(`bare express hello (baseline): ${fmt(bare.requests.average)} req/s, p99 ${bare.latency.p99} ms`);
    const least = await cannon({ url: `http://127.0.0.1:${floorPort}/verify`, connections: CONNECTIONS, duration: seconds, headers: verify(john).headers });
    allOk('floor: express + one Redis read + batched stream append', least);
    console.log(`floor, express + one Redis read + batched stream append: ${fmt(least.requests.average)} req/s, p99 ${least.latency.p99} ms, ratio to bare ${(least.requests.average / bare.requests.average).toFixed(2)} (the least an audited decision costs on this machine)`);
    const rawLeast = await cannon({ url: `http://127.0.0.1:${rawFloorPort}/verify`, connections: CONNECTIONS, duration: seconds, headers: verify(john).headers });
    allOk('floor without express', rawLeast);
    console.log(`floor without express (node:http): ${fmt(rawLeast.requests.average)} req/s, p99 ${rawLeast.latency.p99} ms, ratio to bare ${(rawLeast.requests.average / bare.requests.average).toFixed(2)}`);
    const line = (label: string, r: autocannon.Result) =>
      `${label}: ${fmt(r.requests.average)} req/s, p99 ${r.latency.p99} ms, ratio to bare ${(r.requests.average / bare.requests.average).toFixed(2)} (goal >= 0.50; p99 goal < 10 ms), to floor ${(r.requests.average / least.requests.average).toFixed(2)}`;

    const ordinary = await cannon(verify(john));
    allOk('forward-auth, ordinary token', ordinary);
    console.log(line('forward-auth, ordinary token', ordinary));

    const support = await cannon(verify(jill));
    allOk('forward-auth, support token', support);
    console.log(line('forward-auth, support token', support));

    // "Disable support" under support load. Passed after close: a request sent after the close
    // call returned (its completion time minus autocannon's response time) that got a 200 (goal
    // 0). Requests already in flight at the close were checked before it; their 200s may still
    // arrive after it returned and are counted apart.
    let closedAt: number | null = null;
    let passedAfter = 0;
    let passedSentAfter = 0;
    let otherBeforeClose = 0;
    let first401: number | null = null;
    const closeAfterMs = Math.min(2000, (seconds * 1000) / 3);
    const disable = cannon(verify(jill), (instance) => {
      instance.on('response', (_client: autocannon.Client, status: number, _bytes: number, responseTime: number) => {
        const now = performance.now();
        if (status === 401 && first401 === null) first401 = now;
        if (closedAt === null) {
          if (status !== 200 && status !== 401) otherBeforeClose++;
        } else if (now > closedAt && status === 200) {
          passedAfter++;
          if (now - responseTime > closedAt) passedSentAfter++;
        }
      });
    });
    await new Promise((r) => setTimeout(r, closeAfterMs));
    const closeStart = performance.now();
    await ops.closeSupport({ tenant: 'shop', username: 'admin' });
    closedAt = performance.now();
    const disabled = await disable;
    const first = first401 as number | null;
    const after = first === null ? 'no 401 at all' : `${fmt(first - closedAt)} ms${first < closedAt ? ' (before the close returned; it took ' + fmt(closedAt - closeStart) + ' ms)' : ''}`;
    const codes = Object.entries(disabled.statusCodeStats ?? {}).map(([code, s]) => `${code}: ${s.count ?? 0}`).join(', ');
    console.log(`disable support under load: passed after close ${passedSentAfter} (sent after the disable call returned; goal 0), first 401 after ${after}; answers ${codes}`);
    console.log(`  (${passedAfter - passedSentAfter} requests in flight at the close, checked before it, answered 200 after it returned)`);
    // The gateway's own order: jill's allowed decisions written to shop's log after the close entry
    // (an entry is written after its check, so this too can count a decision checked just before).
    const closeEntry = (await ops.queryAudit({ tenant: 'shop', action: 'support.request.closed' }, 10)).entries[0];
    if (!closeEntry) throw new Error('disable support: no support.request.closed entry in the log');
    let loggedAfter = 0;
    let cursor: string | undefined;
    do {
      const page = await ops.queryAudit({ tenant: 'shop', who: 'jill$john', action: 'forward-auth.allowed', from: Date.parse(closeEntry.time) - 1000 }, 1000, cursor);
      loggedAfter += page.entries.filter((e) => e.seq > closeEntry.seq).length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    console.log(`  (gateway audit log: ${loggedAfter} forward-auth.allowed entries of jill$john after the support.request.closed entry; close took ${fmt(closedAt - closeStart)} ms)`);
    if (otherBeforeClose > 0 || disabled.errors > 0) throw new Error(`disable support: ${otherBeforeClose} answers neither 200 nor 401, ${disabled.errors} errors`);
    if (first === null) throw new Error('disable support: jill was never refused after the close');
    if (passedSentAfter > 0) throw new Error(`disable support: ${passedSentAfter} requests sent after the close returned still passed`);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--seconds');
  await runForwardAuthBench(i > 0 ? Number(process.argv[i + 1]) : 8);
}
