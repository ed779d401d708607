/**
 * The alert rules and the Grafana dashboard in docs/operations/ parse (YAML, JSON, each PromQL
 * expression with Prometheus's own grammar) and name only metrics the service exports.
 */
import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createScrape } from '../../src/metrics/scrape.js';
import { Scraped } from '../helpers/metrics.js';

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

/** The metric names an expression selects, or an error where the grammar refuses it. */
function selectedMetrics(expr: string): string[] {
  const tree = parser.parse(expr);
  const names: string[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) throw new Error(`PromQL does not parse at ${node.from}: ${expr}`);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector')
        names.push(expr.slice(node.from, node.to));
    },
  });
  return names;
}

/** Every series name the service writes (a histogram's _bucket, _sum and _count included). */
async function exportedNames(): Promise<Set<string>> {
  const scrape = createScrape({
    outbox: async () => ({ backlog: 0, oldestAgeSeconds: 0 }),
    timers: async () => ({ pending: 0, overdue: 0 }),
    auditUnsealed: async () => 0,
    pool: () => ({ total: 1, idle: 1, waiting: 0, max: 10 }),
  });
  const scraped = Scraped.parse(await scrape.text());
  const names = new Set<string>();
  for (const family of scraped.families) {
    names.add(family.name);
    if (family.type === 'HISTOGRAM')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(family.name + suffix);
  }
  return names;
}

describe('docs/operations/alerts.yml', () => {
  const rules = (
    parseYaml(readFileSync('docs/operations/alerts.yml', 'utf8')) as { groups: { rules: Rule[] }[] }
  ).groups.flatMap((group) => group.rules);

  it('is a Prometheus rule file whose every rule has a parsing expression over exported metrics, a duration, a severity and a summary', async () => {
    const exported = await exportedNames();
    expect(rules.length).toBeGreaterThanOrEqual(8);
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['warning', 'critical']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length, rule.alert).toBeGreaterThan(10);
      const metrics = selectedMetrics(rule.expr);
      expect(metrics.length, rule.alert).toBeGreaterThan(0);
      for (const metric of metrics) expect(exported, `${rule.alert}: ${metric}`).toContain(metric);
    }
  });

  it('covers the outbox older than a minute, timer lag over 30 s, a growing sealer backlog, webhook failures and pool saturation', () => {
    const exprOf = (alert: string) => rules.find((rule) => rule.alert === alert)?.expr ?? '';
    expect(exprOf('OutboxNotRelayed')).toMatch(/wsb_outbox_oldest_age_seconds\) > 60$/);
    expect(exprOf('EscalationTimerLag')).toMatch(/wsb_escalation_timer_lag_seconds_bucket.*> 30$/);
    expect(exprOf('AuditSealerBacklogGrowing')).toMatch(/deriv\(max\(wsb_audit_events_unsealed\)/);
    expect(exprOf('WebhookDeliveriesFailing')).toContain('wsb_webhook_delivery_failures_total');
    expect(exprOf('DatabasePoolSaturated')).toContain('wsb_db_pool_waiting_requests');
  });
});

describe('docs/operations/grafana-dashboard.json', () => {
  it('is a dashboard whose every panel query parses and selects exported metrics, every metric shown somewhere', async () => {
    const dashboard = JSON.parse(readFileSync('docs/operations/grafana-dashboard.json', 'utf8')) as {
      uid: string;
      panels: { title: string; targets: { expr: string }[] }[];
    };
    expect(dashboard.uid).toBe('ward-safety-briefings');
    const exported = await exportedNames();
    const shown = new Set<string>();
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const { expr } of panel.targets) {
        // Grafana's interval variable, as Grafana substitutes it.
        for (const metric of selectedMetrics(expr.replaceAll('$__rate_interval', '5m'))) {
          expect(exported, `${panel.title}: ${metric}`).toContain(metric);
          shown.add(metric.replace(/_(bucket|sum|count)$/, ''));
        }
      }
    }
    const own = [...exported].filter((name) => name.startsWith('wsb_') && !/_(bucket|sum|count)$/.test(name));
    for (const name of own) expect([...shown], `${name} is on the dashboard`).toContain(name);
    expect(shown).toContain('http_request_duration_seconds');
    expect(shown).toContain('nodejs_eventloop_lag_p99_seconds');
  });
});
