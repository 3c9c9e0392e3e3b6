import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/**
 * A TCP port nothing listens on right now, below the ephemeral range (32768+) where this
 * machine's own outgoing connections could take it before a test's server binds it. With
 * `plusBus`, port + 10000 is free too (a Redis Cluster node's bus port), also below that range.
 */
export async function freePort(plusBus = false): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = 10000 + Math.floor(Math.random() * (plusBus ? 12000 : 22000));
    if ((await isFree(port)) && (!plusBus || (await isFree(port + 10000)))) return port;
  }
  throw new Error('no free port found');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Whether something accepts a connection on 127.0.0.1:`port` now. */
export function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Whether the pid file at `path` names `pid`. nginx and Apache write theirs only after binding
 * every listen socket, so it tells "our server listens" from "something else had the port".
 */
export function pidFileIs(path: string, pid: number | undefined): boolean {
  try {
    return pid !== undefined && readFileSync(path, 'utf8').trim() === String(pid);
  } catch {
    return false;
  }
}
