import { createServer } from 'node:net';

/** A TCP port nothing listens on right now (and, with `plusBus`, port + 10000 free too). */
export async function freePort(plusBus = false): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = plusBus ? 20000 + Math.floor(Math.random() * 20000) : await anyPort();
    if ((await isFree(port)) && (!plusBus || (await isFree(port + 10000)))) return port;
  }
  throw new Error('no free port found');
}

function anyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
