import t from 'tap';
import { decide, type AnalysisTarget, type ModelAnalysis } from '@aviary/policies/analysis';
import { analysis, answer, metric, role, target, T0, type History } from './fixture.js';

/** The design's release decision table, one test per row, plus the error rows. */

function run(a: ModelAnalysis, tg: AnalysisTarget, now: number, history: History) {
  return decide(a, tg, T0, now, answer(a, tg, T0, now, history));
}
const constant =
  (canary: number[], stable: number[] = canary): History =>
  (q) =>
    role(q) === 'canary' ? canary : stable;
const good = constant([0.001]);
const bad = constant([0.5]);
const ONE = T0 + 60; // the first measurement time with interval 60 s and no warm-up

t.test('none: a canary at traffic 0', async (t) => {
  const tg = target({ canary: { ...target().canary, traffic: 0 } });
  t.same(decide(analysis(), tg, T0, ONE, new Map()), {
    decision: 'none',
    from: 0,
    to: 0,
    metrics: [],
  });
});

t.test('rollback: a failed metric with onFailure rollback writes traffic 0', async (t) => {
  const o = run(analysis(), target(), ONE, bad);
  t.match(o, { decision: 'rollback', from: 5, to: 0 });
  t.same(
    o.metrics.map((m) => m.phase),
    ['failed'],
  );
  t.equal(o.error, undefined);
});

t.test('hold: a failed metric with onFailure hold keeps the share', async (t) => {
  const o = run(analysis(), target({ onFailure: 'hold' }), ONE, bad);
  t.match(o, { decision: 'hold', from: 5, to: 5 });
  t.equal(o.metrics[0]!.phase, 'failed');
});

t.test('step: all passed below the last step goes to the next step', async (t) => {
  t.match(run(analysis(), target(), ONE, good), { decision: 'step', from: 5, to: 25 });
  const at25 = target({ canary: { ...target().canary, traffic: 25 } });
  t.match(run(analysis(), at25, ONE, good), { decision: 'step', from: 25, to: 50 });
  // Steps given out of order still step to the next larger share.
  t.match(run(analysis(), target({ steps: [50, 5, 25] }), ONE, good), { to: 25 });
});

t.test('promote: all passed at the last step', async (t) => {
  const at50 = target({ canary: { ...target().canary, traffic: 50 } });
  t.match(run(analysis(), at50, ONE, good), { decision: 'promote', from: 50, to: 100 });
});

t.test('hold: an inconclusive metric, none failed', async (t) => {
  const a = analysis({ metrics: [metric({ thresholdRange: { max: 0.01 } })] });
  const o = run(a, target(), ONE, constant([]));
  t.match(o, { decision: 'hold', from: 5, to: 5 });
  t.equal(o.metrics[0]!.phase, 'inconclusive');
});

t.test('wait: running (no measurement yet, or fewer than count) or pending', async (t) => {
  t.match(run(analysis(), target(), ONE - 1, good), { decision: 'wait', from: 5, to: 5 });
  t.same(run(analysis(), target(), ONE - 1, good).metrics[0]!.measurements, []);
  t.match(run(analysis({ count: 2 }), target(), ONE, good), { decision: 'wait' });
  const pending = analysis({ minSamples: { query: 'sum(reqs{a="{{artifact}}"})', min: 100 } });
  t.match(
    run(pending, target(), ONE, (q) => (q.startsWith('sum(reqs') ? [5] : [0.001])),
    { decision: 'wait' },
  );
});

t.test('failure wins over every other phase', async (t) => {
  const a = analysis({
    count: 2,
    metrics: [
      metric({ name: 'a', query: 'a{x="{{artifact}}"}', thresholdRange: { max: 1 } }),
      metric({ name: 'b', query: 'b{x="{{artifact}}"}', thresholdRange: { max: 1 } }),
      metric({ name: 'c', query: 'c{x="{{artifact}}"}', thresholdRange: { max: 1 } }),
    ],
  });
  // a: failed at t1; b: no data → inconclusive; c: running only if count not reached
  const h: History = (q, time) =>
    q.startsWith('a') ? [time === ONE ? 2 : 0] : q.startsWith('b') ? [] : [0];
  const o = run(a, target(), ONE + 60, h);
  t.same(
    o.metrics.map((m) => m.phase),
    ['failed', 'inconclusive', 'passed'],
  );
  t.equal(o.decision, 'rollback');
});

t.test('pending measurements are not counted: every metric runs, the release waits', async (t) => {
  const a = analysis({
    metrics: [
      metric({ name: 'a', query: 'a{x="{{artifact}}"}', thresholdRange: { max: 0.01 } }),
      metric({ name: 'b', query: 'b{x="{{artifact}}"}' }),
    ],
    minSamples: { query: 'n{x="{{artifact}}"}', min: 1 },
  });
  // Values that would fail and be inconclusive, all pending: nothing counts.
  const o = run(a, target(), ONE + 120, (q) =>
    q.startsWith('n') ? [0] : q.startsWith('a') ? [9] : [],
  );
  t.equal(o.decision, 'wait');
  t.same(
    o.metrics.map((m) => [m.phase, m.measurements.map((x) => x.verdict)]),
    [
      ['running', ['pending', 'pending', 'pending']],
      ['running', ['pending', 'pending', 'pending']],
    ],
  );
});

t.test('a query with several series decides nothing: ANALYSIS_QUERY_AMBIGUOUS', async (t) => {
  for (const [what, h] of [
    ['canary', constant([0.001, 0.002], [0.001])],
    ['stable', constant([0.001], [0.001, 0.002])],
  ] as const) {
    const a = analysis({ metrics: [metric({ baseline: { maxDelta: 1 } })] });
    const o = run(a, target(), ONE, h);
    t.match(o, { decision: null, from: 5, to: 5, metrics: [] }, what);
    t.equal(o.error?.code, 'ANALYSIS_QUERY_AMBIGUOUS', what);
  }
  const withMin = analysis({ minSamples: { query: 'n{x="{{artifact}}"}', min: 1 } });
  const o = run(withMin, target(), ONE, (q) => (q.startsWith('n') ? [1, 2] : [0.001]));
  t.equal(o.error?.code, 'ANALYSIS_QUERY_AMBIGUOUS', 'minSamples');
  // A good answer at another time does not hide a bad one.
  const later = run(analysis(), target(), ONE + 60, (_q, time) =>
    time === ONE ? [1, 2] : [0.001],
  );
  t.equal(later.decision, null);
});

t.test('a query needing {{namespace}} without one: ANALYSIS_NAMESPACE_UNKNOWN', async (t) => {
  const a = analysis({ metrics: [metric({ query: 'up{namespace="{{namespace}}"}' })] });
  const tg = target({ namespace: undefined, release: 'fraud' });
  delete tg.namespace;
  const o = decide(a, tg, T0, ONE, new Map());
  t.match(o, { decision: null, from: 5, to: 5, metrics: [] });
  t.equal(o.error?.code, 'ANALYSIS_NAMESPACE_UNKNOWN');
  // Without {{namespace}} in any query a release without namespace is fine.
  t.equal(run(analysis(), tg, ONE, good).decision, 'step');
});

t.test('a missing answer is a caller bug and throws', async (t) => {
  t.throws(() => decide(analysis(), target(), T0, ONE, new Map()));
});

t.test('the same inputs give the same outcome (replay)', async (t) => {
  const a = analysis({ count: 3, metrics: [metric({ baseline: { maxRatio: 2 } })] });
  const h: History = (q, time) => (role(q) === 'canary' ? [time % 7] : [3]);
  t.same(run(a, target(), ONE + 600, h), run(a, target(), ONE + 600, h));
});
