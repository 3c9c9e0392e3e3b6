import { nginxPrefix, privateNginxConfig, requireNginx, runPrivateNginx, type RunningNginx } from './nginx.js';
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
  return privateNginxConfig(opts.prefix, blocks, {
    httpPreamble: [`  log_format upstreams '$time_iso8601 $request_method $request_uri $status $upstream_addr $upstream_status';`],
    accessLogFormat: 'upstreams',
  });
}

/** The running load balancer; its log is nginx's access log (method, URI, status, upstream per request) and error log. */
export type RunningLoadBalancer = RunningNginx;

export async function startLoadBalancer(opts: { upstreamPorts: number[]; port?: number }): Promise<RunningLoadBalancer> {
  requireNginx();
  const port = opts.port ?? (await freePort());
  const dir = nginxPrefix('lb');
  const config = loadBalancerConfig({ upstreams: opts.upstreamPorts.map((p) => `127.0.0.1:${p}`), listen: `127.0.0.1:${port}`, prefix: dir });
  return runPrivateNginx(dir, port, config);
}
