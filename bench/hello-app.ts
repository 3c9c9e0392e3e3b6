/**
 * The baseline of the forward-auth bench: a bare express app in its own process answering
 * `GET /hello` with 200 and one header, as cheap a decision as an HTTP server can give.
 *   node dist/bench/hello-app.js <port>
 */
import express from 'express';

const port = Number(process.argv[2] ?? '0');
const app = express();
app.get('/hello', (_req, res) => {
  res.set('X-Auth-User', 'john');
  res.status(200).end();
});
const server = app.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
