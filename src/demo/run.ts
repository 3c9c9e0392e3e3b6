/**
 * The README's demo: make sure Redis is there (starting a private one when it is not and
 * redis-server is installed), seed the demo data, serve, and print where to go and who to be.
 */
import { loadConfig, redactRedisUrl, type Config } from '../config.js';
import { AppError } from '../errors.js';
import { startGateway, type Gateway } from '../main.js';
import { ensureManagementTenant } from '../tenants/tenants.js';
import { cliAuditContext, table } from '../cli/context.js';
import { operatorAdmin } from '../admin/index.js';
import { untilSignal } from '../cli/commands/serve.js';
import { ensureDemoClient, seedDemo } from './seed.js';
import { startDemoApp } from './app.js';
import { redisServerInstalled, redisUrlAnswers, startPrivateRedis, type PrivateRedis } from './private-redis.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

async function ensureRedis(config: Config): Promise<PrivateRedis | undefined> {
  if (config.redis.clusterNodes.length > 0 || (await redisUrlAnswers(config.redis.url))) return undefined;
  const where = redactRedisUrl(config.redis.url);
  const url = new URL(config.redis.url);
  if (!redisServerInstalled()) {
    throw new AppError('DEMO_REDIS_NOT_INSTALLED', undefined, { params: { where } });
  }
  if (!LOOPBACK.has(url.hostname)) {
    throw new AppError('DEMO_REDIS_NOT_LOOPBACK', undefined, { params: { where } });
  }
  const port = Number(url.port || 6379);
  const redis = await startPrivateRedis(config.dataDir, port);
  process.stdout.write(`No Redis answered at ${where}: started a private redis-server on port ${port} (data in ${config.dataDir}/redis, append-only file on); it stops with the demo.\n`);
  return redis;
}

async function main(): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof AppError) {
      for (const issue of err.issues) process.stderr.write(`supportgate demo: invalid configuration: ${issue}\n`);
      return 78;
    }
    throw err;
  }
  let privateRedis: PrivateRedis | undefined;
  let gateway: Gateway | undefined;
  let demoApp: { stop: () => Promise<void> } | undefined;
  try {
    privateRedis = await ensureRedis(config);
    gateway = await startGateway(config);
    await ensureManagementTenant(gateway.domain.tenants, gateway.domain.clock);
    const ops = operatorAdmin(gateway.domain, cliAuditContext(process.env), gateway.logger);
    const accounts = await seedDemo(gateway.domain, ops);
    const appPort = Number(process.env.DEMO_APP_PORT ?? gateway.port + 1);
    if (!Number.isInteger(appPort) || appPort < 1 || appPort > 65535) throw new AppError('DEMO_APP_PORT_INVALID');
    const appUrl = `${new URL(config.publicUrl).protocol}//${new URL(config.publicUrl).hostname}:${appPort}`;
    const demoClient = await ensureDemoClient(gateway.domain, ops, appUrl);
    demoApp = await startDemoApp({ issuer: `${config.publicUrl}/t/acme`, ...demoClient, port: appPort, baseUrl: appUrl });
    // Listening for the signal before saying how to stop: a pipe write is synchronous, so whoever
    // reads "Press Ctrl-C" may signal before the next statement runs, and a signal with no listener
    // yet ends the process by the signal itself (seen once in CI: exit by SIGTERM, not 0).
    const stopped = untilSignal();
    process.stdout.write(
      [
        '',
        `supportgate demo is running at ${config.publicUrl}`,
        '',
        `  Console of acme:        ${config.publicUrl}/t/acme/console`,
        `  Console of management:  ${config.publicUrl}/t/management/console`,
        `  Demo tenant app:        ${appUrl}/`,
        `  (each signs in at the tenant's login screen; issuer ${config.publicUrl}/t/acme)`,
        `  JSON API:               ${config.publicUrl}/api/v1/openapi.json`,
        `  health: ${config.publicUrl}/healthz   readiness: ${config.publicUrl}/readyz`,
        '',
        '  Try support access: sign in to the acme console as john, click "Enable support";',
        '  then, in another browser profile, sign in there as jill$john with jill\'s password.',
        '',
        'Demo accounts (Username as typed at the tenant login screen):',
        table(['TENANT', 'USERNAME', 'PASSWORD', 'WHO'], accounts.map((a) => [a.tenant, a.login, a.password, a.what])),
        '',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    await stopped;
    return 0;
  } catch (err) {
    const message = err instanceof AppError && err.expose ? err.message : (err as Error).message;
    process.stderr.write(`supportgate demo: ${message}\n`);
    return err instanceof AppError && err.code === 'STORE_UNAVAILABLE' ? 3 : 1;
  } finally {
    await demoApp?.stop();
    await gateway?.stop();
    await privateRedis?.stop();
  }
}

process.exitCode = await main();
