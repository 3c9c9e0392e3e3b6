/**
 * Opens and closes support requests on one tenant at random, as fast as it can, and prints every
 * acknowledged change as a JSON line with the window version it produced. The concurrency test
 * runs two of these OS processes at once and replays their changes, in version order, through the
 * reference model.
 *   node dist/bench/support-ops-worker.js <tenant> <operations> <user,user,...> [seed] [start-at epoch ms]
 */
import { loadConfig } from '../src/config.js';
import { createDomain } from '../src/domain.js';
import { AppError } from '../src/errors.js';
import { closeRedis, connectRedis, createRedis } from '../src/redis/client.js';
import { loadKeyMaterial } from '../src/secrets/keys.js';
import { closeSupportRequests, openSupportRequest } from '../src/support-access/support.js';

const [tenant = 'acme', opsText = '100', usersText = 'ann', seedText = '1', startAtText = '0'] = process.argv.slice(2);
const users = usersText.split(',');
let seed = Number(seedText);
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

const config = loadConfig();
const redis = createRedis(config, { mode: 'server' });
await connectRedis(redis, config);
const domain = createDomain(config, redis, (await loadKeyMaterial(config)).clientSecretsKey);
// Processes start at different speeds; a common start time makes them really race.
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAtText) - Date.now())));
for (let i = 0; i < Number(opsText); i++) {
  const username = users[Math.floor(random() * users.length)]!;
  try {
    if (random() < 0.6) {
      const { request, window } = await openSupportRequest(domain, { tenant, username, hours: 1 + Math.floor(random() * 5) });
      process.stdout.write(`${JSON.stringify({ v: window.version, op: 'open', by: username, at: request.openedAt, hours: request.hours })}\n`);
    } else {
      const { closed, window } = await closeSupportRequests(domain, { tenant, username });
      process.stdout.write(`${JSON.stringify({ v: window.version, op: 'close', by: username, at: closed[0]!.closedAt, closed: closed.length })}\n`);
    }
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'NO_ACTIVE_REQUEST')) throw err;
  }
}
await closeRedis(redis);
