import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { DigestKeyring } from '../../audit/digests.js';
import type { AuditEntry } from '../../audit/entry.js';
import { writeEntries } from '../../audit/export.js';
import { parseAuditFilter } from '../../audit/query.js';
import { RedisDigestStore } from '../../audit/redis-digest-store.js';
import type { DigestSource, VerifyResult } from '../../audit/verify.js';
import { closeRedis, connectRedis, createRedis } from '../../redis/client.js';
import { loadAuditDigestPublicKeys } from '../../secrets/keys.js';
import { requireTenant } from '../../tenants/tenants.js';
import { printable } from '../../text/printable.js';
import { table, type CliContext } from '../context.js';

interface QueryOptions {
  tenant?: string;
  who?: string;
  actor?: string;
  subject?: string;
  action?: string;
  outcome?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
  format: string;
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1_000_000) throw new InvalidArgumentError('expected a whole number from 1 to 1000000');
  return Number(value);
}

function format(value: string): string {
  if (!['table', 'json', 'jsonl', 'csv'].includes(value)) throw new InvalidArgumentError('expected table, json, jsonl or csv');
  return value;
}

/** Progress on a terminal only: pipes and files get the data and nothing else. */
function progress(ctx: CliContext, verb: string): ((n: number, what?: string) => void) | undefined {
  const stderr = ctx.io.stderr as NodeJS.WriteStream;
  if (!stderr.isTTY) return undefined;
  return (n, what) => stderr.write(`\r${verb} ${n.toLocaleString('en')} entries${what ? ` (${what})` : ''}...`);
}

/** One table row (`table` makes what a stranger typed printable). */
function row(e: AuditEntry): string[] {
  const subject = e.subject ? `${e.subject.type}:${e.subject.tenant && e.subject.tenant !== e.tenant ? `${e.subject.tenant}/` : ''}${e.subject.name ?? e.subject.id ?? ''}` : '-';
  return [e.time, e.tenant, e.who, e.action, e.outcome, subject, e.cause ?? '-'];
}

/**
 * The digests of every tenant and the public keys that check them. The digest stream needs a
 * Redis client of its own here (the domain does not carry one); it is closed with the command.
 */
async function openDigests(ctx: CliContext): Promise<{ source: DigestSource; close: () => Promise<void> }> {
  const keyring = new DigestKeyring(loadAuditDigestPublicKeys(ctx.config));
  const redis = createRedis(ctx.config, { mode: 'cli' });
  await connectRedis(redis, ctx.config);
  return { source: { store: new RedisDigestStore(redis, ctx.config.redis.prefix), keyring }, close: () => closeRedis(redis) };
}

/** One tenant's verdict: OK with what the digests vouch for, or the first problem (and any others). */
function verdict(r: VerifyResult): string {
  const d = r.digests;
  if (r.ok) {
    const positions = r.firstSeq !== null ? `, positions ${r.firstSeq}-${r.lastSeq}` : '';
    const signed = !d || d.digests === 0 ? '' : [
      `; ${d.matched} signed digest${d.matched === 1 ? '' : 's'} match${d.matched === 1 ? 'es' : ''}`,
      d.newest ? `, the newest for position ${d.newest.seq} of ${d.newest.time}` : '',
      d.beforeRetention > 0 ? `, ${d.beforeRetention} of trimmed positions` : '',
      d.uncovered > 0 ? `; ${d.uncovered} newer entr${d.uncovered === 1 ? 'y' : 'ies'} not signed yet` : '',
    ].join('');
    const gaps = r.indexGaps ?? [];
    const pending = r.pendingActions ? `; ${r.pendingActions} action${r.pendingActions === 1 ? '' : 's'} under way or interrupted, not recorded yet` : '';
    if (gaps.length > 0) {
      const who = [...new Set(gaps.map((g) => g.actor ?? g.actorId))].map((n) => printable(n)).join(', ');
      return `${r.tenant}: INDEX GAP: ${gaps.length} entr${gaps.length === 1 ? 'y' : 'ies'} of ${who} missing from the support index (the chain itself is OK${signed}, ${r.entries} entries)${pending}`;
    }
    return `${r.tenant}: OK (${r.entries} entries${positions}${signed})${pending}`;
  }
  // Reasons quote what is stored (a forged digest's time, an entry's tenant): shown, never acted on.
  const others = (d?.problems ?? []).filter((p) => p.reason !== r.reason).map((p) => `\n  also: ${printable(p.reason)}`);
  return `${r.tenant}: BROKEN at position ${r.position}${r.id ? ` (id ${printable(r.id)})` : ''}: ${printable(r.reason)}${others.join('')}`;
}

export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('query, export and verify the audit log');

  audit
    .command('query')
    .description('entries newest first; filters combine. table/json show one page (--limit, --cursor); jsonl/csv export every match')
    .option('--tenant <tenant>', 'one tenant (default: all tenants)')
    .option('--who <who>', 'jill$john, john, cli:root; * matches anything (jill$* = every support session of jill)')
    .option('--actor <actor>', 'actor username or id; management/jill for a support or platform user across tenants')
    .option('--subject <subject>', 'subject name or id (tenant/name to pin the tenant)')
    .option('--action <action>', 'an action of the catalogue, or a prefix such as support.*')
    .option('--outcome <outcome>', 'success | failure')
    .option('--from <iso>', 'from this date or date-time (inclusive)')
    .option('--to <iso>', 'up to this date or date-time (inclusive; a date means its whole day)')
    .option('--limit <n>', 'at most n entries (table/json default 100)', positiveInt)
    .option('--cursor <cursor>', 'continue after the page that printed this cursor')
    .option('--format <format>', 'table | json | jsonl | csv', format, 'table')
    .action(async (opts: QueryOptions) => {
      const filter = parseAuditFilter({
        tenant: opts.tenant, who: opts.who, actor: opts.actor, subject: opts.subject,
        action: opts.action, outcome: opts.outcome, from: opts.from, to: opts.to,
      });
      const ops = await ctx.operations();
      const fmt = ctx.json && opts.format === 'table' ? 'json' : opts.format;
      if (fmt === 'jsonl' || fmt === 'csv') {
        if (opts.cursor) throw new InvalidArgumentError('--cursor pages table and json output; jsonl and csv export every match');
        const entries = await ops.exportAudit(filter, fmt, opts.limit);
        const show = progress(ctx, 'exported');
        const n = await writeEntries(entries, fmt, ctx.io.stdout, show);
        if (show) ctx.io.stderr.write(`\rexported ${n.toLocaleString('en')} entries.\n`);
        return;
      }
      const page = await ops.queryAudit(filter, opts.limit ?? 100, opts.cursor);
      if (fmt === 'json') {
        ctx.io.stdout.write(`${JSON.stringify(page)}\n`);
        return;
      }
      ctx.io.stdout.write(`${table(['TIME', 'TENANT', 'WHO', 'ACTION', 'OUTCOME', 'SUBJECT', 'CAUSE'], page.entries.map(row))}\n`);
      ctx.io.stdout.write(page.nextCursor ? `more: --cursor ${page.nextCursor}\n` : `(${page.entries.length} entries, end of results)\n`);
    });

  audit
    .command('verify')
    .description('check the hash chain of one tenant (or every tenant) and its signed digests: OK, or the first broken position and why')
    .option('--tenant <tenant>', 'one tenant (default: all)')
    .action(async (opts: { tenant?: string }) => {
      const ops = await ctx.operations();
      if (opts.tenant) await requireTenant((await ctx.domain()).tenants, opts.tenant);
      const digests = await openDigests(ctx);
      const show = progress(ctx, 'verified');
      let results: VerifyResult[];
      try {
        results = await ops.verifyAudit(opts.tenant, show ? (t, n) => show(n, t) : undefined, digests.source);
      } finally {
        await digests.close();
      }
      if (show) ctx.io.stderr.write('\r\x1b[K');
      ctx.print(results, () => results.map(verdict).join('\n'));
      const broken = results.filter((r) => !r.ok || (r.indexGaps?.length ?? 0) > 0);
      if (broken.length > 0) {
        ctx.io.stderr.write(`supportgate: the audit log of ${broken.map((r) => r.tenant).join(', ')} failed verification\n`);
        ctx.failed = true;
      }
    });
}
