import type { SupportWindow } from './window.js';

/** Storage the support-access rules need; the Redis implementation sits beside it. */
export interface SupportWindowStore {
  read(tenant: string): Promise<SupportWindow>;
  /** Read-modify-write of a tenant's window, atomic against other writers; `mutate` may throw to refuse. */
  update(tenant: string, mutate: (current: SupportWindow) => SupportWindow): Promise<SupportWindow>;
  /** Keeps the schedule of window ends the expiry watcher reads (null: nothing to watch). */
  schedule(tenant: string, end: number | null): Promise<void>;
  /** Tenants whose scheduled end is at or before `now`. */
  due(now: number): Promise<{ tenant: string; end: number }[]>;
  /** Drops a tenant from the schedule if its scheduled end is still `end`. */
  unschedule(tenant: string, end: number): Promise<void>;
  /** True for exactly one caller per (tenant, end), whatever the number of processes asking. */
  claim(tenant: string, what: string): Promise<boolean>;
  release(tenant: string, what: string): Promise<void>;
  /** Remembers a support login for the tenant's status (the newest few are kept). */
  noteLogin(tenant: string, login: SupportLogin): Promise<void>;
  lastLogins(tenant: string): Promise<SupportLogin[]>;
}

export interface SupportLogin {
  /** Epoch ms. */
  at: number;
  who: string;
  supportUser: string;
  user: string;
}
