/**
 * The second baseline of the forward-auth bench: the least an audited decision can cost here.
 * A bare express app in its own process whose `GET /verify` reads one Redis key and appends one
 * hashed entry to a Redis stream (entries of concurrent requests go as one MULTI, as the audit
 * log batches them) before it answers 200. No token, no rule, no chain: only the two round trips
 * every decision needs, so the gateway's ratio to this is what its own work costs.
 *   node dist/bench/floor-app.js <port> <redis-url> <key-prefix>
 */
import { createHash } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';

const [port, url, prefix] = [Number(process.argv[2] ?? '0'), process.argv[3] ?? 'redis://127.0.0.1:6379', process.argv[4] ?? 'sgbench-floor:'];
const redis = new Redis(url, { enableAutoPipelining: true });
const tokenKey = `${prefix}{floor}:token`;
const streamKey = `${prefix}{floor}:audit`;
await redis.set(tokenKey, JSON.stringify({ accountId: 'john', exp: 4_000_000_000 }));

interface Queued {
  json: string;
  done: (err?: unknown) => void;
}
const queue: Queued[] = [];
let flushing = false;
async function flush(): Promise<void> {
  flushing = true;
  while (queue.length > 0) {
    const batch = queue.splice(0, 500);
    const multi = redis.multi();
    for (const q of batch) multi.xadd(streamKey, 'MAXLEN', '~', '100000', '*', 'e', q.json);
    try {
      await multi.exec();
      batch.forEach((q) => q.done());
    } catch (err) {
      batch.forEach((q) => q.done(err));
    }
  }
  flushing = false;
}
function append(entry: Record<string, unknown>): Promise<void> {
  const json = JSON.stringify(entry);
  const hash = createHash('sha256').update(json).digest('base64url');
  return new Promise((resolve, reject) => {
    queue.push({ json: `${json}${hash}`, done: (err) => (err ? reject(err) : resolve()) });
    if (!flushing) void flush();
  });
}

const app = express();
app.get('/verify', async (req, res) => {
  try {
    const token = JSON.parse((await redis.get(tokenKey)) ?? 'null') as { accountId: string } | null;
    if (!token) return void res.status(401).end();
    await append({ who: token.accountId, method: req.get('x-forwarded-method'), uri: req.get('x-forwarded-uri'), host: req.get('x-forwarded-host'), time: new Date().toISOString() });
    res.set('X-Auth-User', token.accountId);
    res.status(200).end();
  } catch {
    res.status(503).end();
  }
});
const server = app.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  redis.disconnect();
});
