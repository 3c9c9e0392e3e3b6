/**
 * The second baseline of the forward-auth bench: the least an audited decision can cost here.
 * A bare express app in its own process whose `GET /verify` reads one Redis key and appends one
 * hashed entry to a Redis stream (entries of concurrent requests go as one MULTI, as the audit
 * log batches them) before it answers 200. No token, no rule, no chain: only the two round trips
 * every decision needs, so the gateway's ratio to this is what its own work costs.
 *   node dist/bench/floor-app.js <port> <redis-url> <key-prefix>
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import express from 'express';
import { Redis } from 'ioredis';

const [port, url, prefix, mode] = [Number(process.argv[2] ?? '0'), process.argv[3] ?? 'redis://127.0.0.1:6379', process.argv[4] ?? 'sgbench-floor:', process.argv[5] ?? 'express'];
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

/** One decision: read the "token", append its entry, answer. */
async function decide(header: (name: string) => string | undefined, answer: (status: number, user?: string) => void): Promise<void> {
  try {
    const token = JSON.parse((await redis.get(tokenKey)) ?? 'null') as { accountId: string } | null;
    if (!token) return answer(401);
    await append({ who: token.accountId, method: header('x-forwarded-method'), uri: header('x-forwarded-uri'), host: header('x-forwarded-host'), time: new Date().toISOString() });
    answer(200, token.accountId);
  } catch {
    answer(503);
  }
}

const raw = (req: IncomingMessage, res: ServerResponse) =>
  void decide(
    (name) => req.headers[name] as string | undefined,
    (status, user) => {
      if (user) res.setHeader('X-Auth-User', user);
      res.statusCode = status;
      res.end();
    },
  );
const app = express();
app.get('/verify', (req, res) =>
  decide(
    (name) => req.get(name),
    (status, user) => {
      if (user) res.set('X-Auth-User', user);
      res.status(status).end();
    },
  ),
);
const server = (mode === 'raw' ? createServer(raw) : createServer(app)).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  redis.disconnect();
});
