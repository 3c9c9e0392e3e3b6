/** One sample of the Prometheus text format: `name{labels} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The families a scrape declares (`# TYPE name type`) and every sample it carries. */
export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
  /** The sum of the samples named `name` whose labels include `match`. */
  sum(name: string, match?: Record<string, string>): number;
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return {
    types,
    samples,
    sum: (name, match = {}) =>
      samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0),
  };
}

/**
 * The figures the issue asks for, each by the sample that shows traffic: a counter's own name, a
 * histogram's `_count`, a gauge's value.
 */
export const LISTED = {
  logins: 'supportgate_logins_total',
  supportLogins: 'supportgate_support_logins_total',
  openWindows: 'supportgate_support_windows_open',
  sessionsEnded: 'supportgate_support_sessions_ended_total',
  sessionEndDelay: 'supportgate_support_session_end_delay_seconds',
  tokensIssued: 'supportgate_tokens_issued_total',
  tokenRefreshes: 'supportgate_token_refreshes_total',
  forwardAuth: 'supportgate_forward_auth_decisions_total',
  auditAppend: 'supportgate_audit_append_seconds',
  auditFailures: 'supportgate_audit_append_failures_total',
  redisErrors: 'supportgate_redis_command_errors_total',
  redisDuration: 'supportgate_redis_command_duration_seconds',
  redisUp: 'supportgate_redis_up',
  eventLag: 'supportgate_event_bus_lag_seconds',
  processCpu: 'process_cpu_user_seconds_total',
  heap: 'nodejs_heap_size_used_bytes',
} as const;
