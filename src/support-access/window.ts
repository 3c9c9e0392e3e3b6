/**
 * The support window of a tenant (SPEC §2), as pure rules over its requests and a time.
 * Opening a request prolongs the window: end = max(now, end) + hours. Closing requests removes
 * their time: the end is the fold of the remaining requests in creation order with the same rule.
 */
export const HOUR = 3_600_000;

export interface RequestParty {
  id: string;
  username: string;
}

export interface SupportRequest {
  id: string;
  openedBy: RequestParty;
  /** Epoch ms. */
  openedAt: number;
  hours: number;
  reason: string | null;
  closedAt: number | null;
  closedBy: RequestParty | null;
}

/** What is stored per tenant: the requests in creation order and the window end they give. */
export interface SupportWindow {
  /** Increases with every change: the order in which changes were acknowledged. */
  version: number;
  /** Epoch ms the window ends (it is open while end > now); null before the first request. */
  end: number | null;
  requests: SupportRequest[];
}

export const EMPTY_WINDOW: SupportWindow = { version: 0, end: null, requests: [] };

export type RequestState = 'active' | 'expired' | 'closed';

export interface RequestView extends SupportRequest {
  state: RequestState;
  /** When this request's share of the window ends (null for a closed one). */
  endsAt: number | null;
}

/** Adds a request; the window is prolonged from now or from its current end, whichever is later. */
export function prolong(window: SupportWindow, request: SupportRequest): SupportWindow {
  const from = Math.max(request.openedAt, window.end ?? -Infinity);
  return { version: window.version + 1, end: from + request.hours * HOUR, requests: [...window.requests, request] };
}

/** The window end the open (not closed) requests give, folded in creation order. */
export function foldEnd(requests: readonly SupportRequest[]): number | null {
  let end: number | null = null;
  for (const r of requests) {
    if (r.closedAt !== null) continue;
    end = Math.max(r.openedAt, end ?? -Infinity) + r.hours * HOUR;
  }
  return end;
}

/** Closes the given requests (ids) and recomputes the end from what remains. */
export function closeRequests(window: SupportWindow, ids: ReadonlySet<string>, by: RequestParty, now: number): SupportWindow {
  const requests = window.requests.map((r) => (ids.has(r.id) && r.closedAt === null ? { ...r, closedAt: now, closedBy: by } : r));
  return { version: window.version + 1, end: foldEnd(requests), requests };
}

/** Each request with its state at `now` and when its share of the window ends. */
export function requestViews(window: SupportWindow, now: number): RequestView[] {
  let end: number | null = null;
  return window.requests.map((r) => {
    if (r.closedAt !== null) return { ...r, state: 'closed', endsAt: null };
    end = Math.max(r.openedAt, end ?? -Infinity) + r.hours * HOUR;
    return { ...r, state: end > now ? 'active' : 'expired', endsAt: end };
  });
}

export function isOpen(window: SupportWindow, now: number): boolean {
  return window.end !== null && window.end > now;
}

/** The requests a user may close: their own active ones, or every active one for a tenant admin. */
export function closableBy(window: SupportWindow, userId: string, tenantAdmin: boolean, now: number): string[] {
  return requestViews(window, now)
    .filter((r) => r.state === 'active' && (tenantAdmin || r.openedBy.id === userId))
    .map((r) => r.id);
}

/** Global access from the setting: off, on with no limit, or on until a time. */
export function globalAccess(setting: boolean | string, now: number): { on: boolean; until: number | null } {
  if (setting === true) return { on: true, until: null };
  if (setting === false) return { on: false, until: null };
  const until = Date.parse(setting);
  return { on: until > now, until };
}
