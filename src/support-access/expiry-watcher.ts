import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../logger.js';
import { getSettings, type SettingsStore } from '../settings/settings.js';
import { MANAGEMENT_TENANT, type TenantStore } from '../tenants/tenants.js';
import type { SupportWindowStore } from './store.js';
import { globalAccess } from './window.js';

export interface ExpiryWatcherDeps {
  windows: SupportWindowStore;
  tenants: TenantStore;
  settings: SettingsStore;
  audit: AuditLog;
  events: EventBus;
  clock: Clock;
  logger?: Logger | undefined;
}

const SYSTEM = { who: 'system:support-expiry', actor: { type: 'service' as const, id: 'support-expiry', name: 'support-expiry', tenant: null }, channel: 'system' as const };

/**
 * Notices windows (and global access) that end by time, with no request needed to arrive. Every
 * gateway process runs one; a claim in Redis per (tenant, end) lets exactly one of them audit
 * `support.window.expired` and publish the event, however many are running.
 */
export class ExpiryWatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private ticks = 0;

  constructor(private readonly deps: ExpiryWatcherDeps, private readonly intervalMs = 250) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.tick()
        .catch((err: unknown) => {
          this.deps.logger?.warn(`support expiry check failed: ${(err as Error).message}`);
        })
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass: every due window, then global access; about once a minute, the schedule is re-derived. */
  async tick(): Promise<void> {
    const { windows, clock } = this.deps;
    const now = clock.now();
    if (this.ticks++ % 240 === 0) await this.reconcile(now);
    for (const { tenant, end } of await windows.due(now)) {
      const current = await windows.read(tenant);
      if (current.end !== null && current.end > now) {
        await windows.schedule(tenant, current.end); // prolonged since it was scheduled
        continue;
      }
      await this.once(tenant, `window-expired:${end}`, async () => {
        await this.deps.audit.record({
          ...SYSTEM,
          tenant,
          action: 'support.window.expired',
          outcome: 'success',
          subject: { type: 'tenant', id: tenant, name: tenant, tenant },
          details: { endedAt: new Date(end).toISOString() },
        });
        await this.deps.events.publish({ type: 'support.window.reduced', tenant, endsAt: null, reason: 'expired' });
        this.deps.logger?.info(`support window of ${tenant} expired at ${new Date(end).toISOString()}`);
      });
      await windows.unschedule(tenant, end);
    }
    const setting = (await getSettings(this.deps.settings))['support.globalAccess'];
    if (typeof setting === 'string' && !globalAccess(setting, now).on) {
      await this.once(MANAGEMENT_TENANT, `global-expired:${setting}`, async () => {
        await this.deps.audit.record({ ...SYSTEM, tenant: MANAGEMENT_TENANT, action: 'support.global.expired', outcome: 'success', details: { endedAt: setting } });
        await this.deps.events.publish({ type: 'support.global.reduced', until: Date.parse(setting), reason: 'expired' });
      });
    }
  }

  /**
   * The schedule is written after each window change; a process that died in between would leave
   * a window unwatched. Re-deriving it from the records closes that gap.
   */
  async reconcile(now: number): Promise<void> {
    for (const t of await this.deps.tenants.list()) {
      const w = await this.deps.windows.read(t.id);
      if (w.end !== null && w.end > now) await this.deps.windows.schedule(t.id, w.end);
    }
  }

  /** Runs `work` in exactly one process; if it fails, the claim is released for another try. */
  private async once(tenant: string, what: string, work: () => Promise<void>): Promise<void> {
    if (!(await this.deps.windows.claim(tenant, what))) return;
    try {
      await work();
    } catch (err) {
      await this.deps.windows.release(tenant, what).catch(() => undefined);
      throw err;
    }
  }
}
