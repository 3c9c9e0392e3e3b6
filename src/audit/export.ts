import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { printable } from '../text/printable.js';
import type { AuditEntry } from './entry.js';

export const CSV_COLUMNS = [
  'id', 'seq', 'time', 'tenant', 'who', 'action', 'outcome', 'cause',
  'actor_type', 'actor_id', 'actor_name', 'actor_tenant',
  'subject_type', 'subject_id', 'subject_name', 'subject_tenant',
  'client_address', 'user_agent', 'client_id', 'request_id', 'channel', 'details', 'prev', 'hash',
] as const;

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  // Control characters (a typed username can hold any) are escaped, not stripped: a CSV ends up
  // on a terminal or in a spreadsheet, and the auditor should see that something odd was typed.
  let s = printable(typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value));
  // A cell a spreadsheet would run as a formula is shown as text instead.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

/** One RFC 4180 row (CRLF), every column of CSV_COLUMNS. */
export function csvRow(e: AuditEntry): string {
  return `${[
    e.id, e.seq, e.time, e.tenant, e.who, e.action, e.outcome, e.cause,
    e.actor?.type, e.actor?.id, e.actor?.name, e.actor?.tenant,
    e.subject?.type, e.subject?.id, e.subject?.name, e.subject?.tenant,
    e.clientAddress, e.userAgent, e.clientId, e.requestId, e.channel,
    Object.keys(e.details).length > 0 ? e.details : null, e.prev, e.hash,
  ]
    .map(csvCell)
    .join(',')}\r\n`;
}

export function jsonLine(e: AuditEntry): string {
  return `${JSON.stringify(e)}\n`;
}

/**
 * Streams entries to `out` one at a time, waiting whenever the stream's buffer is full, so an
 * export of any size never holds more than a page in memory. Returns how many were written.
 */
export async function writeEntries(
  entries: AsyncIterable<AuditEntry>,
  format: 'jsonl' | 'csv',
  out: Writable,
  onProgress?: (written: number) => void,
): Promise<number> {
  let written = 0;
  const write = async (chunk: string) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  if (format === 'csv') await write(csvHeader());
  for await (const e of entries) {
    await write(format === 'csv' ? csvRow(e) : jsonLine(e));
    written++;
    if (onProgress && written % 5000 === 0) onProgress(written);
  }
  return written;
}
