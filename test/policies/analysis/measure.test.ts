import t from 'tap';
import { decide, type Measurement, type ModelAnalysis } from '@aviary/policies/analysis';
import { analysis, answer, metric, role, target, T0, type History } from './fixture.js';

/** Each measurement rule of the design, observed through `decide` at one measurement time. */

const ONE = T0 + 60;
function measure(a: ModelAnalysis, canary: number[], stable: number[] = []): Measurement {
  const tg = target();
  const h: History = (q) =>
    q.startsWith('samples') ? [1000] : role(q) === 'canary' ? canary : stable;
  return decide(a, tg, T0, ONE, answer(a, tg, T0, ONE, h)).metrics[0]!.measurements[0]!;
}
const withMetric = (m: Parameters<typeof metric>[0]) => analysis({ metrics: [metric(m)] });

t.test('minSamples: pending below min, counted at min; empty or NaN counts as 0', async (t) => {
  const a = (min: number) => analysis({ minSamples: { query: 'samples{x="{{artifact}}"}', min } });
  const at = (samples: number[], min = 100) => {
    const an = a(min);
    const tg = target();
    const h: History = (q) => (q.startsWith('samples') ? samples : [0.001]);
    return decide(an, tg, T0, ONE, answer(an, tg, T0, ONE, h)).metrics[0]!.measurements[0]!;
  };
  t.equal(at([99]).verdict, 'pending');
  t.equal(at([100]).verdict, 'passed');
  t.equal(at([]).verdict, 'pending', 'empty result is 0');
  t.equal(at([NaN]).verdict, 'pending', 'NaN is 0');
  t.equal(at([], 0).verdict, 'passed', 'min 0 never pends');
  // The minSamples query runs on the canary only.
  const an = a(100);
  t.same(
    [...answer(an, target(), T0, ONE, () => [1]).keys()].filter((k) => k.includes('samples')),
    [`${ONE} samples{x="${target().canary.artifact}"}`],
  );
});

t.test('no data (no sample or NaN) takes the metric noData', async (t) => {
  for (const [noData, verdict] of [
    ['inconclusive', 'inconclusive'],
    ['fail', 'failed'],
    ['pass', 'passed'],
  ] as const) {
    const a = withMetric({ thresholdRange: { max: 0.01 }, noData });
    t.same(measure(a, []), { time: ONE, value: null, stable: null, verdict }, `${noData}, empty`);
    t.equal(measure(a, [NaN]).verdict, verdict, `${noData}, NaN`);
  }
});

t.test('thresholdRange: outside min or max fails, the bounds themselves pass', async (t) => {
  const a = withMetric({ thresholdRange: { min: 0.9, max: 1.1 } });
  t.equal(measure(a, [0.89]).verdict, 'failed');
  t.equal(measure(a, [1.11]).verdict, 'failed');
  t.equal(measure(a, [0.9]).verdict, 'passed');
  t.equal(measure(a, [1.1]).verdict, 'passed');
  t.equal(measure(withMetric({ thresholdRange: { min: 5 } }), [1e9]).verdict, 'passed');
});

t.test('baseline maxDelta: canary − stable above maxDelta fails', async (t) => {
  const a = withMetric({ baseline: { maxDelta: 0.005 } });
  t.same(measure(a, [0.009], [0.003]), {
    time: ONE,
    value: 0.009,
    stable: 0.003,
    verdict: 'failed',
  });
  t.equal(measure(a, [0.008], [0.003]).verdict, 'passed', 'exactly maxDelta passes');
  t.equal(measure(a, [0.001], [0.5]).verdict, 'passed', 'better than stable');
});

t.test('baseline maxRatio: canary above maxRatio × stable fails; stable 0', async (t) => {
  const a = withMetric({ baseline: { maxRatio: 1.2 } });
  t.equal(measure(a, [121], [100]).verdict, 'failed');
  t.equal(measure(a, [120], [100]).verdict, 'passed');
  t.equal(measure(a, [5], [0]).verdict, 'inconclusive', 'stable 0, canary not: no ratio');
  t.equal(measure(a, [0], [0]).verdict, 'passed', 'both 0');
  const both = withMetric({ baseline: { maxRatio: 1.2, maxDelta: 1 } });
  t.equal(measure(both, [5], [0]).verdict, 'failed', 'maxDelta still decides with stable 0');
});

t.test('stable without data: inconclusive, unless an absolute bound fails', async (t) => {
  const a = withMetric({ thresholdRange: { max: 0.01 }, baseline: { maxDelta: 0.005 } });
  t.same(measure(a, [0.004], []), {
    time: ONE,
    value: 0.004,
    stable: null,
    verdict: 'inconclusive',
  });
  t.equal(measure(a, [0.004], [NaN]).verdict, 'inconclusive', 'NaN stable');
  t.equal(measure(a, [0.5], []).verdict, 'failed', 'absolute bound decides without baseline');
  t.equal(measure(a, [0.004], [0.003]).verdict, 'passed');
});

t.test('without a baseline no stable query is made and stable is null', async (t) => {
  const a = withMetric({ thresholdRange: { max: 1 } });
  const keys = [...answer(a, target(), T0, ONE, () => [0]).keys()];
  t.same(keys, [`${ONE} sum(rate(errors{artifact="${target().canary.artifact}"}[1m]))`]);
  t.equal(measure(a, [0.5]).stable, null);
});
