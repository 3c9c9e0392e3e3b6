import type { Writable } from 'node:stream';
import winston from 'winston';
import type { Config } from './config.js';
import { printable } from './text/printable.js';

export type Logger = winston.Logger;

// Defence in depth: whatever a caller passes, values under these keys never reach a log line.
const SECRET_KEY = /pass(word)?|secret|token|cookie|authorization|private|^d$|^key$/i;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    info[key] = SECRET_KEY.test(key) ? '[redacted]' : redact(info[key]);
  }
  return info;
});

/**
 * Structured logs: JSON lines in production (for shipping), readable lines on a terminal.
 * The CLI logs to stderr so that stdout carries only its output.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>, stream: Writable = process.stdout): Logger {
  const format =
    config.logFormat === 'json'
      ? winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json())
      : winston.format.combine(
          redactFormat(),
          winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
          winston.format.colorize({ level: true }),
          winston.format.printf(({ timestamp, level, message, ...rest }) => {
            // Messages and fields carry typed usernames and reasons: escaped, one entry stays one
            // line. `level` is left alone: its colour codes are ours.
            const line = (text: string) => `${String(timestamp)} ${level} ${printable(text)}`;
            // Audit entries read as one short line on a terminal; JSON logs carry them whole.
            if (rest.audience === 'audit' && typeof rest.entry === 'object' && rest.entry !== null) {
              const e = rest.entry as { tenant?: string; who?: string; action?: string; outcome?: string; cause?: string | null };
              return line(`audit ${e.tenant}: ${e.who} ${e.action} ${e.outcome}${e.cause ? ` (${e.cause})` : ''}`);
            }
            const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
            return line(`${String(message)}${extra}`);
          }),
        );
  return winston.createLogger({
    level: config.logLevel,
    format,
    transports: [new winston.transports.Stream({ stream })],
  });
}
