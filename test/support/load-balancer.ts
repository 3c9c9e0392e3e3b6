import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NGINX_BIN, requireNginx } from './nginx.js';
import { freePort } from './ports.js';

/**
 * nginx as a round-robin load balancer in front of several gateways on one public URL, the way an
 * operator runs supportgate on more than one machine. Each request goes to the next gateway in
 * turn, whatever connection it came on (one worker, no sticky sessions, no upstream keep-alive),
 * so the legs of one login are served by different gateways. `X-Upstream` on every answer names
 * the gateway that served it. Needs Debian's nginx (scripts/install-system-deps.sh).
 */
export interface LoadBalancerConfigOptions {
  /** The gateways as nginx reaches them (`127.0.0.1:3000`, `gateway-1:3000`). */
  upstreams: string[];
  /** `listen` argument (`127.0.0.1:8080`, `80`). */
  listen: string;
  /**
   * Directory for pid, logs and temp files: the config is then a whole nginx.conf for a private
   * nginx (the tests); without it, the `upstream` and `server` blocks for an `http { }` (compose).
   */
  prefix?: string;
}

export function loadBalancerConfig(opts: LoadBalancerConfigOptions): string {
  for (const u of opts.upstreams) if (!/^[A-Za-z0-9.-]+:\d+$/.test(u)) throw new Error(`upstream must be host:port: ${JSON.stringify(u)}`);
  const blocks = [
    `  upstream supportgate {`,
    // Round robin (nginx's default). No `keepalive`: each request opens its own connection, so
    // nothing ties a browser's next request to the gateway that served its last one.
    ...opts.upstreams.map((u) => `    server ${u};`),
    `  }`,
    ``,
    `  server {`,
    `    listen ${opts.listen};`,
    ``,
    `    location / {`,
    `      proxy_pass http://supportgate;`,
    // The gateway takes its URLs from PUBLIC_URL; these tell it the client's address and scheme,
    // and it believes them because TRUST_PROXY names this nginx.
    `      proxy_set_header Host $http_host;`,
    `      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`,
    `      proxy_set_header X-Forwarded-Proto $scheme;`,
    `      proxy_set_header X-Forwarded-Host $http_host;`,
    // A gateway's 503 (store unavailable) is its answer, not a reason to ask the other one: a
    // POST is never sent twice, and a refusal reaches the client as the gateway gave it.
    `      proxy_next_upstream error timeout;`,
    `      add_header X-Upstream $upstream_addr always;`,
    `    }`,
    `  }`,
  ];
  if (opts.prefix === undefined) return blocks.map((l) => l.replace(/^ {2}/, '')).join('\n') + '\n';
  const p = opts.prefix;
  return [
    `daemon off;`,
    // One process: round robin is kept per worker, so one worker alternates strictly.
    `master_process off;`,
    `worker_processes 1;`,
    `pid ${p}/nginx.pid;`,
    `error_log ${p}/error.log info;`,
    ``,
    `events {`,
    `  worker_connections 1024;`,
    `}`,
    ``,
    `http {`,
    `  log_format upstreams '$time_iso8601 $request_method $request_uri $status $upstream_addr $upstream_status';`,
    `  access_log ${p}/access.log upstreams;`,
    `  client_body_temp_path ${p}/client_body;`,
    `  proxy_temp_path ${p}/proxy;`,
    `  fastcgi_temp_path ${p}/fastcgi;`,
    `  uwsgi_temp_path ${p}/uwsgi;`,
    `  scgi_temp_path ${p}/scgi;`,
    ``,
    ...blocks,
    `}`,
    ``,
  ].join('\n');
}

export interface RunningLoadBalancer {
  url: string;
  port: number;
  config: string;
  /** nginx's access log (method, URI, status, upstream per request) and error log so far. */
  log(): string;
  stop(): Promise<void>;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startLoadBalancer(opts: { upstreamPorts: number[]; port?: number }): Promise<RunningLoadBalancer> {
  requireNginx();
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'sg-lb-'));
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const config = loadBalancerConfig({ upstreams: opts.upstreamPorts.map((p) => `127.0.0.1:${p}`), listen: `127.0.0.1:${port}`, prefix: dir });
  const confPath = join(dir, 'nginx.conf');
  writeFileSync(confPath, config);

  let output = '';
  const child: ChildProcess = spawn(NGINX_BIN, ['-p', dir, '-c', confPath, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  child.once('error', (err) => (output += `spawn failed: ${err.message}\n`));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '');
  const log = () => `${read('access.log')}${output}${read('error.log')}`;

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  // nginx writes its pid file once it has bound its socket (see nginx.ts).
  const deadline = Date.now() + 5000;
  const pidIsOurs = () => existsSync(join(dir, 'nginx.pid')) && read('nginx.pid').trim() === String(child.pid);
  while (!(pidIsOurs() && (await answers(port)))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      const said = log();
      await stop();
      throw new Error(`nginx on 127.0.0.1:${port} did not start; it said:\n${said}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { url: `http://127.0.0.1:${port}`, port, config, log, stop };
}
