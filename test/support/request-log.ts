/** One answer of the gateway as a client saw it: when it was asked, how long it took, what came back. */
export interface Answer {
  method: string;
  path: string;
  /** ms since the log started. */
  startedAt: number;
  ms: number;
  /** 0 when no answer came at all (connection refused or reset). */
  status: number;
  retryAfter: string | null;
  contentType: string;
  location: string | null;
  /** The body of an error answer (status 400 and up); empty otherwise. */
  body: string;
}

/**
 * Records every request made with `fetch` to one origin while installed: the browser script of
 * bench/oidc-client.ts and openid-client both call the global `fetch`, so the log sees each hop of
 * a login and each token use exactly as the client did. Latency is the time to the answer's
 * headers (what a waiting person or program experiences), not to the end of the body.
 */
export class RequestLog {
  readonly answers: Answer[] = [];
  private readonly t0 = performance.now();
  private original: typeof fetch | undefined;

  constructor(private readonly origin: string) {}

  /** ms since the log started: the clock every Answer's `startedAt` is on. */
  now(): number {
    return performance.now() - this.t0;
  }

  install(): void {
    const original = (this.original = globalThis.fetch);
    globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = new URL(input instanceof Request ? input.url : input.toString());
      if (url.origin !== this.origin) return original(input, init);
      const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
      const startedAt = this.now();
      const base = { method, path: url.pathname, startedAt };
      try {
        const res = await original(input, init);
        const ms = this.now() - startedAt;
        const body = res.status >= 400 ? await res.clone().text() : '';
        this.answers.push({ ...base, ms, status: res.status, retryAfter: res.headers.get('retry-after'), contentType: res.headers.get('content-type') ?? '', location: res.headers.get('location'), body });
        return res;
      } catch (err) {
        this.answers.push({ ...base, ms: this.now() - startedAt, status: 0, retryAfter: null, contentType: '', location: null, body: String(err) });
        throw err;
      }
    };
  }

  uninstall(): void {
    if (this.original) globalThis.fetch = this.original;
  }
}
