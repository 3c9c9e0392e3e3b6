import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { GatewayMetrics } from '../../src/metrics/metrics.js';
import { packageRoot } from '../../src/paths.js';

// js-yaml is already installed (a dependency of jest's); no dependency is added for this check.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

const read = (path: string) => readFileSync(join(packageRoot(), 'deploy', path), 'utf8');
/** The metric names a PromQL expression reads: ours, and Node's process families. */
const namesIn = (expr: string) => [...expr.matchAll(/\b(supportgate_[a-z0-9_]+|process_[a-z0-9_]+|nodejs_[a-z0-9_]+)/g)].map((m) => m[1]!);

/** Every sample name the gateway's registry can expose: each family, and a histogram's _bucket, _sum, _count. */
async function exposedNames(): Promise<Set<string>> {
  const metrics = new GatewayMetrics();
  const families = await metrics.registry.getMetricsAsJSON();
  return new Set(families.flatMap((f) => (String(f.type) === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => `${f.name}${s}`) : [f.name])));
}

describe('the deploy/ files', () => {
  it('the Grafana dashboard queries only metrics the gateway exposes, and covers each figure of the issue', async () => {
    const dashboard = JSON.parse(read('grafana/supportgate-dashboard.json')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => namesIn(t.expr)));
    const exposed = await exposedNames();
    expect(used.filter((n) => !exposed.has(n))).toEqual([]);
    for (const family of [
      'supportgate_logins_total', 'supportgate_support_logins_total', 'supportgate_support_windows_open', 'supportgate_support_session_end_delay_seconds_bucket',
      'supportgate_audit_append_seconds_bucket', 'supportgate_audit_append_failures_total', 'supportgate_redis_command_errors_total',
      'supportgate_redis_command_duration_seconds_bucket', 'supportgate_forward_auth_decisions_total', 'supportgate_event_bus_lag_seconds_bucket',
    ]) expect([family, used.includes(family)]).toEqual([family, true]);
  });

  it('the alert rules parse, use only exposed metrics, and include "audit cannot be written" and "Redis unreachable"', async () => {
    const rules = yaml.load(read('prometheus/alerts.yml')) as { groups: { rules: { alert: string; expr: string }[] }[] };
    const all = rules.groups.flatMap((g) => g.rules);
    const exposed = await exposedNames();
    expect(all.flatMap((r) => namesIn(r.expr)).filter((n) => !exposed.has(n))).toEqual([]);
    const byName = Object.fromEntries(all.map((r) => [r.alert, r.expr]));
    expect(byName.SupportgateAuditCannotBeWritten).toContain('supportgate_audit_append_failures_total');
    expect(byName.SupportgateRedisUnreachable).toContain('supportgate_redis_up');
  });

  it('the Prometheus example scrapes /metrics and loads the alert rules', () => {
    const config = yaml.load(read('prometheus/prometheus.yml')) as { rule_files: string[]; scrape_configs: { metrics_path: string }[] };
    expect(config.rule_files).toEqual(['alerts.yml']);
    expect(config.scrape_configs[0]!.metrics_path).toBe('/metrics');
  });
});
