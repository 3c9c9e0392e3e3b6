/**
 * A plain reference model of SPEC §2's support window, written from the text alone: requests in
 * creation order; the window runs while covered; a new request adds its hours after the current
 * end (or after now, if the window had closed); closing requests recomputes the end from the rest.
 */
export interface RefRequest {
  by: string;
  openedAt: number;
  hours: number;
  closed: boolean;
}

const H = 3_600_000;

export class ReferenceWindow {
  requests: RefRequest[] = [];

  open(by: string, now: number, hours: number): void {
    this.requests.push({ by, openedAt: now, hours, closed: false });
  }

  /** Closes `by`'s active requests, or all active ones for an admin; returns how many. */
  close(by: string, admin: boolean, now: number): number {
    const states = this.states(now);
    let n = 0;
    this.requests.forEach((r, i) => {
      if (states[i] === 'active' && (admin || r.by === by)) {
        r.closed = true;
        n++;
      }
    });
    return n;
  }

  /** The end, walking the open requests one by one. */
  end(): number | null {
    let end: number | null = null;
    for (const r of this.requests) {
      if (r.closed) continue;
      const start: number = end === null || r.openedAt > end ? r.openedAt : end;
      end = start + r.hours * H;
    }
    return end;
  }

  states(now: number): ('active' | 'expired' | 'closed')[] {
    let end: number | null = null;
    return this.requests.map((r) => {
      if (r.closed) return 'closed';
      const start: number = end === null || r.openedAt > end ? r.openedAt : end;
      end = start + r.hours * H;
      return end > now ? 'active' : 'expired';
    });
  }
}
