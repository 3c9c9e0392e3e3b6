import { AsyncLocalStorage } from 'node:async_hooks';

/** One request to the load balancer and its answer, as the client saw it. */
export interface Exchange {
  method: string;
  path: string;
  /** The tenant of an issuer URL (`/t/acme/...`), else null. */
  tenant: string | null;
  /** 0 when no answer came at all. */
  status: number;
  location: string | null;
  /** The gateway that served it, as nginx says (`X-Upstream`). */
  upstream: string | null;
  /** Unique per request: the audit entry an acknowledged action writes carries it. */
  userAgent: string;
  /** The client address the request claimed through X-Forwarded-For (the flow's own). */
  address: string | null;
  /** ms on the traffic's clock (`now()`). */
  startedAt: number;
  endedAt: number;
}

/**
 * Records every request to one origin made with the global `fetch` (the scripted browser and
 * openid-client both use it), and marks each: a User-Agent of its own, and the X-Forwarded-For of
 * the flow it belongs to (`as`). The gateway writes both into the audit entry of an action, so an
 * acknowledged action and its entry can be matched one to one.
 */
export class Traffic {
  readonly exchanges: Exchange[] = [];
  private readonly t0 = performance.now();
  private readonly flow = new AsyncLocalStorage<string>();
  private original: typeof fetch | undefined;
  private sent = 0;
  private addresses = 0;

  constructor(private readonly origin: string) {}

  now(): number {
    return performance.now() - this.t0;
  }

  /** A client address no other flow uses (10.x.y.z). */
  newAddress(): string {
    const n = ++this.addresses;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  }

  /** Runs `fn` with its requests claiming `address` as their client (X-Forwarded-For). */
  as<T>(address: string, fn: () => Promise<T>): Promise<T> {
    return this.flow.run(address, fn);
  }

  install(): void {
    const original = (this.original = globalThis.fetch);
    globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = new URL(input instanceof Request ? input.url : input.toString());
      if (url.origin !== this.origin) return original(input, init);
      const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
      const userAgent = `sg-cluster-test/${++this.sent}`;
      headers.set('user-agent', userAgent);
      const address = this.flow.getStore() ?? null;
      if (address) headers.set('x-forwarded-for', address);
      const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
      const tenant = /^\/t\/([^/]+)\//.exec(url.pathname)?.[1] ?? null;
      const base = { method, path: url.pathname, tenant, userAgent, address, startedAt: this.now() };
      try {
        const res = await original(input instanceof Request ? new Request(input, { headers }) : input, { ...init, headers });
        this.exchanges.push({ ...base, status: res.status, location: res.headers.get('location'), upstream: res.headers.get('x-upstream'), endedAt: this.now() });
        return res;
      } catch (err) {
        this.exchanges.push({ ...base, status: 0, location: null, upstream: null, endedAt: this.now() });
        throw err;
      }
    };
  }

  uninstall(): void {
    if (this.original) globalThis.fetch = this.original;
  }
}

/**
 * The audit entry an answered request must have left, when the gateway acknowledged an action
 * that is audited: a sign-in the login form accepted (a redirect back into the authorization),
 * a token issued or refreshed, a userinfo read. Null for anything else.
 */
export function auditedAction(e: Exchange): { tenant: string; actions: string[] } | null {
  if (!e.tenant) return null;
  if (e.method === 'POST' && /\/interaction\/[^/]+\/login$/.test(e.path) && e.status >= 300 && e.status < 400 && e.location?.includes(`/t/${e.tenant}/auth/`)) {
    return { tenant: e.tenant, actions: ['login.succeeded'] };
  }
  if (e.method === 'POST' && e.path.endsWith('/token') && e.status === 200) return { tenant: e.tenant, actions: ['token.issued', 'token.refreshed'] };
  if (e.path.endsWith('/me') && e.status === 200) return { tenant: e.tenant, actions: ['userinfo.read'] };
  return null;
}
