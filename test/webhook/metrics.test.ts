import t from 'tap';
import { register as globalRegistry } from 'prom-client';
import { DURATION_BUCKETS, createMetrics, histogramQuantile } from '@aviary/webhook';
import { valueOf } from './support.js';

t.test('the webhook metrics exist before any traffic', async (t) => {
  const text = await createMetrics().registry.metrics();
  for (const name of [
    'aviary_admission_requests_total counter',
    'aviary_admission_decisions_total counter',
    'aviary_admission_findings_total counter',
    'aviary_admission_duration_seconds histogram',
    'aviary_policies_loaded gauge',
    'aviary_policy_reloads_total counter',
    'aviary_policy_reload_errors_total counter',
    'aviary_policy_last_reload_success_timestamp_seconds gauge',
    'aviary_tls_reloads_total counter',
    'aviary_tls_reload_errors_total counter',
    'aviary_tls_certificate_expiry_timestamp_seconds gauge',
    'process_resident_memory_bytes gauge',
    'process_cpu_seconds_total counter',
    'process_start_time_seconds gauge',
  ])
    t.match(text, new RegExp(`^# TYPE ${name}$`, 'm'));
  t.match(text, /^aviary_policies_loaded 0$/m);
  t.match(text, /^aviary_policy_reload_errors_total 0$/m);
  const buckets = [
    ...text.matchAll(/^aviary_admission_duration_seconds_bucket\{le="([^"]+)"\} 0$/gm),
  ].map((m) => m[1]);
  t.same(buckets, [...DURATION_BUCKETS.map(String), '+Inf'], 'every bucket, in order, empty');
});

t.test('labels and help texts as documented', async (t) => {
  const m = createMetrics();
  m.requests.inc({ result: 'denied', kind: 'InferenceService' });
  m.decisions.inc({ policy: 'p', rule: 'canary', mode: 'warn', decision: 'warn' });
  m.findings.inc({ policy: 'p', rule: 'canary', mode: 'warn', code: 'CANARY_STEP' });
  m.duration.observe(0.0003);
  const text = await m.registry.metrics();
  t.match(text, /^aviary_admission_requests_total\{result="denied",kind="InferenceService"\} 1$/m);
  t.match(
    text,
    /^aviary_admission_decisions_total\{policy="p",rule="canary",mode="warn",decision="warn"\} 1$/m,
  );
  t.match(
    text,
    /^aviary_admission_findings_total\{policy="p",rule="canary",mode="warn",code="CANARY_STEP"\} 1$/m,
  );
  t.match(text, /^aviary_admission_duration_seconds_bucket\{le="0.00025"\} 0$/m);
  t.match(text, /^aviary_admission_duration_seconds_bucket\{le="0.0005"\} 1$/m);
  t.match(text, /^aviary_admission_duration_seconds_count 1$/m);
  t.match(text, /^# HELP aviary_admission_requests_total AdmissionReview requests answered/m);
});

t.test('each createMetrics has a registry of its own, never the global one', async (t) => {
  const a = createMetrics();
  const b = createMetrics();
  a.requests.inc({ result: 'allowed', kind: 'InferenceService' });
  t.equal(await valueOf(a.requests, { result: 'allowed', kind: 'InferenceService' }), 1);
  t.equal(await valueOf(b.requests, { result: 'allowed', kind: 'InferenceService' }), 0);
  t.same(globalRegistry.getMetricsAsArray(), [], 'nothing registered globally');
});

t.test('process CPU seconds are read when scraped', async (t) => {
  const seconds = () => {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1e6;
  };
  const created = seconds();
  const m = createMetrics();
  const scrape = async () =>
    Number(/^process_cpu_seconds_total (\S+)$/m.exec(await m.registry.metrics())?.[1]);
  const first = await scrape();
  const second = await scrape();
  const now = seconds();
  // prom-client counts the CPU time since its collector started: bracketed by the process's own.
  t.ok(first > 0 && first <= second, `${first} <= ${second}`);
  t.ok(second <= now - created + 1e-6, `${second} <= ${now - created}`);
});

t.test('histogramQuantile interpolates like PromQL', async (t) => {
  const m = createMetrics();
  for (let i = 0; i < 90; i++) m.duration.observe(0.0007);
  for (let i = 0; i < 10; i++) m.duration.observe(0.002);
  const { values } = await m.duration.get();
  const buckets = values
    .filter((v) => v.metricName?.endsWith('_bucket'))
    .map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), count: v.value }));
  // 90 in (0.0005, 0.001], 10 in (0.001, 0.0025].
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;
  t.ok(near(histogramQuantile(0.5, buckets), 0.0005 + (0.0005 * 50) / 90));
  t.ok(near(histogramQuantile(0.99, buckets), 0.001 + (0.0015 * 9) / 10));
  t.ok(Number.isNaN(histogramQuantile(0.5, [{ le: Infinity, count: 0 }])));
});
