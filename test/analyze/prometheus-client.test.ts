import t from 'tap';
import { artifactLabel } from '@aviary/policies';
import { AnalyzeError } from '../../plugin/src/analyze/errors.js';
import { prometheusClient } from '../../plugin/src/analyze/prometheus.js';
import { openMetrics, startPrometheus, type Series } from './prometheus.js';

/**
 * The analyzer's Prometheus client against a real Prometheus (Debian 2.42) serving fixed history
 * built with promtool: answers are parsed from what PromQL really evaluates, at the `time=` asked.
 */
const T = 1_700_000_000;
const minutes = (from: number, to: number, value: (i: number) => number) =>
  Array.from({ length: to - from + 1 }, (_, i) => [T + (from + i) * 60, value(from + i)] as const);

const canary = artifactLabel(`sha256:${'c'.repeat(64)}`);
const stable = artifactLabel(`sha256:${'5'.repeat(64)}`);
/** Requests per second, per artifact and code class; counters, one point a minute for 20 min. */
const requests = (artifact: string, codeClass: string, perSecond: number): Series => ({
  name: 'revision_app_request_count',
  labels: {
    namespace_name: 'fraud',
    aviary_dev_artifact: artifact,
    response_code_class: codeClass,
  },
  points: minutes(0, 20, (i) => i * 60 * perSecond),
});

const history: Series[] = [
  // 0.25 for ten minutes, then 0.75: an instant query sees the value at its `time=`.
  {
    name: 'fixture_gauge',
    labels: { case: 'one' },
    points: minutes(0, 20, (i) => (i < 10 ? 0.25 : 0.75)),
  },
  ...[3, 1, 2].map((n) => ({
    name: 'fixture_gauge',
    labels: { case: 'many', i: String(n) },
    points: minutes(0, 20, () => n),
  })),
  { name: 'fixture_gauge', labels: { case: 'nan' }, points: minutes(0, 20, () => NaN) },
  requests(canary, '2xx', 99),
  requests(canary, '5xx', 1),
  requests(stable, '2xx', 100),
];

const ERROR_RATE = (artifact: string) =>
  `sum(rate(revision_app_request_count{namespace_name="fraud", aviary_dev_artifact="${artifact}", response_code_class="5xx"}[2m]))` +
  ` / sum(rate(revision_app_request_count{namespace_name="fraud", aviary_dev_artifact="${artifact}"}[2m]))`;

t.test('instant queries against a real Prometheus', { timeout: 120_000 }, async (t) => {
  const prometheus = await startPrometheus(openMetrics(history));
  t.teardown(() => prometheus.stop());
  const client = prometheusClient(prometheus.url);
  const at = T + 5 * 60;

  t.same(await client.query('scalar(fixture_gauge{case="one"})', at), { values: [0.25] }, 'scalar');
  t.same(await client.query('1 + 1', at), { values: [2] }, 'a literal scalar');
  t.same(
    await client.query('fixture_gauge{case="one"}', at),
    { values: [0.25] },
    'one-element vector',
  );
  t.same(
    await client.query('fixture_gauge{case="one"}', T + 15 * 60),
    { values: [0.75] },
    'evaluated at time=, not now',
  );
  t.same(
    await client.query('fixture_gauge{case="many"}', at),
    { values: [1, 2, 3] },
    'several series: every value, ordered by labels',
  );
  t.same(await client.query('fixture_gauge{case="absent"}', at), { values: [] }, 'empty vector');
  t.same(
    await client.query('fixture_gauge{case="one"}', T + 40 * 60),
    { values: [] },
    'past the 5 m look-back: no data',
  );
  const nan = await client.query('fixture_gauge{case="nan"}', at);
  t.equal(nan.values.length, 1);
  t.ok(Number.isNaN(nan.values[0]), 'NaN kept as NaN');
  t.same(await client.query('fixture_gauge{case="one"} / 0', at), { values: [Infinity] }, '+Inf');
  t.same(await client.query('-fixture_gauge{case="one"} / 0', at), { values: [-Infinity] }, '-Inf');

  const rate = await client.query(ERROR_RATE(canary), at);
  t.equal(rate.values.length, 1);
  t.ok(Math.abs(rate.values[0]! - 0.01) < 1e-9, `canary error rate ${rate.values[0]}`);
  t.same(await client.query(ERROR_RATE(stable), at), { values: [] }, 'no 5xx series: no data');
});

t.test('what the real Prometheus refuses', { timeout: 120_000 }, async (t) => {
  const prometheus = await startPrometheus(openMetrics(history));
  t.teardown(() => prometheus.stop());
  const client = prometheusClient(prometheus.url);
  const at = T + 5 * 60;
  const refused = async (q: string, code: string, what: string) => {
    const err = await client.query(q, at).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.type(err, AnalyzeError, what);
    t.match(err, { code, exit: 4 }, what);
  };
  await refused('sum(fixture_gauge', 'PROMETHEUS_QUERY_REFUSED', 'a PromQL syntax error: bad_data');
  await refused(
    'fixture_gauge{case="many"} + on() group_left fixture_gauge{case="many"}',
    'PROMETHEUS_QUERY_REFUSED',
    'many-to-many matching: execution',
  );
  await refused('fixture_gauge{case="one"}[5m]', 'PROMETHEUS_BAD_RESPONSE', 'a range vector');
  await refused('"text"', 'PROMETHEUS_BAD_RESPONSE', 'a string');
});
