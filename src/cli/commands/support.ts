import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { supportStatus, type SupportStatus } from '../../support-access/support.js';
import type { RequestView } from '../../support-access/window.js';
import { printable } from '../../text/printable.js';
import { table, type CliContext } from '../context.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function hoursOption(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number of hours');
  return Number(value);
}

function requestJson(r: RequestView) {
  return { ...r, openedAt: iso(r.openedAt), closedAt: iso(r.closedAt), endsAt: iso(r.endsAt) };
}

/** The status with ISO times, as --json prints it. */
export function statusJson(s: SupportStatus) {
  return {
    ...s,
    access: { ...s.access, until: iso(s.access.until) },
    globalAccess: { ...s.globalAccess, until: iso(s.globalAccess.until) },
    window: { ...s.window, endsAt: iso(s.window.endsAt) },
    requests: s.requests.map(requestJson),
    lastLogins: s.lastLogins.map((l) => ({ ...l, at: iso(l.at) })),
  };
}

/** The tenant's support properties as Cumulocity shows them, plus each request with its reason. */
export function statusText(s: SupportStatus): string {
  const access = !s.access.enabled
    ? 'disabled'
    : s.access.until === null
      ? `enabled, no limit (${s.access.via === 'global' ? 'global access' : 'requests'})`
      : `enabled until ${iso(s.access.until)} (${s.access.via === 'global' ? 'global access' : 'requests'})`;
  const global = !s.globalAccess.on ? 'off' : s.globalAccess.until === null ? 'on, no limit' : `on until ${iso(s.globalAccess.until)}`;
  const mode = `${s.mode.effective} (global ${s.mode.global}${s.mode.tenant ? `, tenant override ${s.mode.tenant}` : ''})`;
  const lines = [
    `Tenant ${s.tenant}`,
    `  Support user access:  ${access}`,
    `  Expiry date:          ${!s.access.enabled ? '-' : s.access.until === null ? 'no limit' : iso(s.access.until)}`,
    `  Active requests:      ${s.activeRequests}`,
    `  Global access:        ${global}`,
    `  Support mode:         ${mode}`,
    '',
  ];
  // A reason is free text and a login's `who` was typed at a login form: neither reaches the terminal raw.
  const logins =
    s.lastLogins.length === 0
      ? ['', 'Last support logins: none']
      : ['', 'Last support logins (newest first):', ...s.lastLogins.map((l) => `  ${iso(l.at)}  ${printable(l.who)}`)];
  if (s.requests.length === 0) return [...lines, 'Requests: none', ...logins].join('\n');
  const rows = [...s.requests].reverse().map((r) =>
    [
      iso(r.openedAt)!,
      r.openedBy.username,
      String(r.hours),
      r.state,
      iso(r.endsAt) ?? '-',
      r.closedAt ? `${iso(r.closedAt)} by ${r.closedBy?.username ?? '?'}` : '-',
      r.reason ?? '-',
    ],
  );
  return [...lines, 'Requests (newest first):', table(['OPENED', 'BY', 'HOURS', 'STATE', 'ENDS', 'CLOSED', 'REASON'], rows), ...logins].join('\n');
}

export function registerSupportCommands(program: Command, ctx: CliContext): void {
  const support = program.command('support').description("a tenant's support access: requests and status");

  support
    .command('enable <tenant>')
    .description('open a support request as a user of the tenant ("Enable support"); it prolongs the window')
    .requiredOption('--as <username>', 'the enabled tenant user opening the request')
    .option('--hours <hours>', 'how long (default support.requestHours, at most support.maxRequestHours)', hoursOption)
    .option('--reason <text>', 'reason or ticket reference, shown in the status')
    .action(async (tenant: string, opts: { as: string; hours?: number; reason?: string }) => {
      const ops = await ctx.operations();
      const { request, window } = await ops.openSupport({ tenant, username: opts.as, hours: opts.hours, reason: opts.reason });
      ctx.print({ request: { ...request, openedAt: iso(request.openedAt) }, windowEndsAt: iso(window.end) }, `support enabled for ${tenant} until ${iso(window.end)} (request by ${request.openedBy.username}, ${request.hours} h)`);
    });

  support
    .command('disable <tenant>')
    .description('close support requests ("Disable support"): the user\'s own, or every one for a tenant admin')
    .requiredOption('--as <username>', 'the enabled tenant user closing')
    .action(async (tenant: string, opts: { as: string }) => {
      const ops = await ctx.operations();
      const { closed, window } = await ops.closeSupport({ tenant, username: opts.as });
      const d = await ctx.domain();
      const open = window.end !== null && window.end > d.clock.now();
      ctx.print(
        { closed: closed.map((r) => r.id), windowEndsAt: open ? iso(window.end) : null },
        `closed ${closed.length} request${closed.length === 1 ? '' : 's'}; support access to ${tenant} by requests is now ${open ? `open until ${iso(window.end)}` : 'closed'}`,
      );
    });

  support
    .command('status <tenant>')
    .description('support user access of a tenant: enabled or not, expiry, active requests, each request with its reason')
    .action(async (tenant: string) => {
      const status = await supportStatus(await ctx.domain(), tenant);
      ctx.print(statusJson(status), () => statusText(status));
    });
}
