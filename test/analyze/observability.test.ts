import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { analyzerMetrics } from '../../plugin/src/analyze/metrics.js';
import { parse } from 'yaml';
import { DURATION_BUCKETS } from '@aviary/webhook';
import { prometheusClient } from '../../plugin/src/analyze/prometheus.js';
import { REPO } from '../helpers/paths.js';
import { openMetrics, startPrometheus, type Series } from './prometheus.js';

/**
 * deploy/observability/: the rules pass promtool's checks and unit tests, the PrometheusRule holds
 * exactly the rules file's groups, every series name they and the dashboard use is one the
 * webhook or the analyzer exports, and every dashboard expression parses and returns data on a
 * real Prometheus holding series of those names.
 */
const run = promisify(execFile);
const DIR = path.join(REPO, 'deploy/observability');
const read = (file: string) => readFileSync(path.join(DIR, file), 'utf8');

/** The analyzer's metrics as its registry declares them (`aviary analyze --watch`'s /metrics). */
const ANALYZER_METRICS = (await analyzerMetrics().registry.getMetricsAsJSON())
  .map((m) => m.name)
  .filter((n) => n.startsWith('aviary_'));

t.test("the analyzer exports the design's metrics", async (t) => {
  for (const name of [
    'aviary_rollout_traffic_percent',
    'aviary_analysis_value',
    'aviary_analysis_threshold',
    'aviary_rollout_decisions_total',
  ])
    t.ok(ANALYZER_METRICS.includes(name), name);
});

/** Every metric name prom-client registers in webhook/src (`name: 'aviary_…'`). */
function webhookMetrics(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
    );
  return walk(path.join(REPO, 'webhook/src'))
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/name: '(aviary_[a-z_]+)'/g)])
    .map((m) => m[1]!);
}

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string; instant?: boolean }[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; definition?: string }[] };
}

function dashboard(): { configMap: Record<string, any>; dashboard: Dashboard } {
  const configMap = parse(read('grafana-dashboard.yaml'));
  return { configMap, dashboard: JSON.parse(configMap.data['aviary.json']) as Dashboard };
}

const panels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
/** Every PromQL expression of the dashboard, and its variables' `label_values` as PromQL. */
function expressions(d: Dashboard): { where: string; expr: string }[] {
  const targets = panels(d.panels).flatMap((p) =>
    (p.targets ?? []).map((x) => ({ where: `panel "${p.title}"`, expr: x.expr })),
  );
  const variables = d.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => {
      const m = /^label_values\((\w+), (\w+)\)$/.exec(v.definition ?? '');
      if (m === null) throw new Error(`variable ${v.name}: not label_values(metric, label)`);
      return { where: `variable ${v.name}`, expr: `count by (${m[2]}) (${m[1]})` };
    });
  return [...targets, ...variables];
}

/** Grafana's variables as a panel sees them with "All" selected. */
function substitute(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__range', '1h')
    .replaceAll('$job', '.*')
    .replaceAll('$release', '.*');
}

t.test('promtool check rules', async (t) => {
  const { stdout } = await run('promtool', ['check', 'rules', path.join(DIR, 'rules.yaml')]);
  t.match(stdout, /SUCCESS: \d+ rules found/);
});

t.test('promtool test rules: each alert fires, and stays silent next to it', async (t) => {
  const { stdout } = await run('promtool', ['test', 'rules', path.join(DIR, 'rules.test.yaml')], {
    timeout: 120_000,
  });
  t.match(stdout, /SUCCESS/);
  const alerts = (parse(read('rules.yaml')).groups as { rules: { alert?: string }[] }[]).flatMap(
    (g) => g.rules.map((r) => r.alert!),
  );
  const cases = (
    parse(read('rules.test.yaml')).tests as {
      alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
    }[]
  ).flatMap((x) => x.alert_rule_test);
  for (const alert of alerts) {
    const mine = cases.filter((c) => c.alertname === alert);
    t.ok(
      mine.some((c) => c.exp_alerts.length > 0),
      `${alert}: a case where it fires`,
    );
    t.ok(
      mine.some((c) => c.exp_alerts.length === 0),
      `${alert}: a case where it does not`,
    );
  }
});

t.test('the PrometheusRule holds exactly the rules file', async (t) => {
  const rule = parse(read('prometheusrule.yaml'));
  t.match(rule, { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule' });
  t.same(rule.spec, { groups: parse(read('rules.yaml')).groups }, 'copy rules.yaml groups here');
});

t.test('the dashboard ConfigMap is found by the Grafana sidecar', async (t) => {
  const { configMap, dashboard: d } = dashboard();
  t.match(configMap, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { labels: { grafana_dashboard: '1' } },
  });
  t.equal(d.uid, 'aviary');
  t.ok(expressions(d).length >= 10, 'expressions found');
});

t.test('every series name used is one Aviary exports', async (t) => {
  const known = new Set([...webhookMetrics(), ...ANALYZER_METRICS]);
  t.ok(known.has('aviary_admission_duration_seconds'), 'webhook names read from webhook/src');
  const rules = (parse(read('rules.yaml')).groups as { rules: { expr: string }[] }[]).flatMap((g) =>
    g.rules.map((r) => r.expr),
  );
  const used = [...rules, ...expressions(dashboard().dashboard).map((e) => e.expr)].flatMap((e) =>
    [...e.matchAll(/\baviary_[a-z_]+/g)].map((m) => m[0]),
  );
  // A histogram's series are its name with _bucket, _sum or _count.
  const unknown = used.filter(
    (n) => !known.has(n) && !known.has(n.replace(/_(bucket|sum|count)$/, '')),
  );
  t.same([...new Set(unknown)], [], 'names nobody exports');
});

/** An hour and a half of one-minute points, for every series the dashboard reads. */
function history(): Series[] {
  const T0 = 1_700_000_000;
  const minutes = (value: (i: number) => number) =>
    Array.from({ length: 91 }, (_, i) => [T0 + i * 60, value(i)] as const);
  const job = { job: 'aviary-webhook' };
  const release = { release: 'fraud/fraud-detector' };
  const counter = (name: string, labels: Record<string, string>, perMinute: number): Series => ({
    name,
    labels,
    points: minutes((i) => i * perMinute),
  });
  // Reviews answered in 0.5 ms, 2 ms or 20 ms.
  const under = (le: number) => (le >= 0.025 ? 60 : le >= 0.0025 ? 50 : le >= 0.0005 ? 30 : 0);
  return [
    counter(
      'aviary_admission_requests_total',
      { ...job, result: 'allowed', kind: 'InferenceService' },
      50,
    ),
    counter(
      'aviary_admission_requests_total',
      { ...job, result: 'denied', kind: 'InferenceService' },
      10,
    ),
    counter(
      'aviary_admission_decisions_total',
      { ...job, policy: 'prod', rule: 'pinning', mode: 'enforce', decision: 'pass' },
      50,
    ),
    counter(
      'aviary_admission_decisions_total',
      { ...job, policy: 'prod', rule: 'pinning', mode: 'enforce', decision: 'deny' },
      10,
    ),
    counter(
      'aviary_admission_findings_total',
      { ...job, policy: 'prod', rule: 'pinning', mode: 'enforce', code: 'PIN_OCI_UNPINNED' },
      10,
    ),
    ...[...DURATION_BUCKETS, Infinity].map((le) =>
      counter(
        'aviary_admission_duration_seconds_bucket',
        { ...job, le: le === Infinity ? '+Inf' : String(le) },
        under(le),
      ),
    ),
    counter('aviary_admission_duration_seconds_count', job, 60),
    counter('aviary_admission_duration_seconds_sum', job, 0.3),
    {
      name: 'aviary_tls_certificate_expiry_timestamp_seconds',
      labels: job,
      points: minutes(() => T0 + 30 * 86400),
    },
    { name: 'aviary_policies_loaded', labels: job, points: minutes(() => 3) },
    {
      name: 'aviary_policy_reload_errors_total',
      labels: job,
      points: minutes((i) => (i < 60 ? 0 : 1)),
    },
    { name: 'aviary_tls_reload_errors_total', labels: job, points: minutes(() => 0) },
    {
      name: 'aviary_rollout_traffic_percent',
      labels: release,
      points: minutes((i) => (i < 45 ? 5 : 25)),
    },
    {
      name: 'aviary_analysis_value',
      labels: { ...release, metric: 'error-rate', artifact: 'canary' },
      points: minutes(() => 0.004),
    },
    {
      name: 'aviary_analysis_value',
      labels: { ...release, metric: 'error-rate', artifact: 'stable' },
      points: minutes(() => 0.003),
    },
    {
      name: 'aviary_analysis_threshold',
      labels: { ...release, metric: 'error-rate', bound: 'max' },
      points: minutes(() => 0.01),
    },
    counter('aviary_rollout_decisions_total', { ...release, decision: 'wait' }, 1),
    {
      name: 'aviary_rollout_decisions_total',
      labels: { ...release, decision: 'step' },
      points: minutes((i) => (i < 45 ? 0 : 1)),
    },
  ];
}

t.test(
  'every dashboard expression runs on a real Prometheus and returns data',
  { timeout: 120_000 },
  async (t) => {
    const prometheus = await startPrometheus(openMetrics(history()));
    t.teardown(() => prometheus.stop());
    const client = prometheusClient(prometheus.url);
    const at = 1_700_000_000 + 80 * 60;
    for (const { where, expr } of expressions(dashboard().dashboard)) {
      const { values } = await client.query(substitute(expr), at);
      t.ok(values.length > 0 && values.every((v) => !Number.isNaN(v)), `${where}: ${expr}`);
    }
  },
);
