import t from 'tap';
import {
  AnalysisError,
  MAX_MEASUREMENTS,
  analysisTarget,
  measurementTimes,
  planQueries,
  type ReleaseForAnalysis,
} from '@aviary/policies/analysis';
import {
  analysis,
  CANARY,
  CANARY_DIGEST,
  metric,
  STABLE,
  STABLE_DIGEST,
  target,
  T0,
} from './fixture.js';

t.test('measurement times: T0 + initialDelay + k·interval ≤ now, k ≥ 1', async (t) => {
  const a = analysis({ interval: 120, initialDelay: 60 });
  t.same(measurementTimes(a, T0, T0 + 179), []);
  t.same(measurementTimes(a, T0, T0 + 180), [T0 + 180]);
  t.same(measurementTimes(a, T0, T0 + 419), [T0 + 180, T0 + 300]);
  t.same(measurementTimes(a, T0, T0 + 540), [T0 + 180, T0 + 300, T0 + 420, T0 + 540]);
  t.same(measurementTimes(a, T0, T0 - 5), [], 'now before the step (clock skew)');
});

t.test('measurement times are bounded: the most recent MAX_MEASUREMENTS', async (t) => {
  const times = measurementTimes(analysis(), T0, T0 + 60 * (MAX_MEASUREMENTS + 10));
  t.equal(times.length, MAX_MEASUREMENTS);
  t.equal(times.at(-1), T0 + 60 * (MAX_MEASUREMENTS + 10));
  t.equal(times[0], T0 + 60 * 11);
});

t.test('planQueries: one query per metric, artifact and time, plus minSamples', async (t) => {
  const a = analysis({
    minSamples: { query: 'sum(n{a="{{artifact}}"})', min: 1 },
    metrics: [
      metric({
        name: 'e',
        query: 'e{a="{{artifact}}",ns="{{namespace}}"}',
        baseline: { maxDelta: 1 },
      }),
      metric({ name: 'l', query: 'l{a="{{artifact}}"}[{{window}}]' }),
    ],
  });
  const reqs = planQueries(a, target(), T0, T0 + 120);
  t.same(
    reqs.map((r) => [r.time, r.query]),
    [
      [T0 + 60, `sum(n{a="${CANARY}"})`],
      [T0 + 120, `sum(n{a="${CANARY}"})`],
      [T0 + 60, `e{a="${CANARY}",ns="prod"}`],
      [T0 + 120, `e{a="${CANARY}",ns="prod"}`],
      [T0 + 60, `e{a="${STABLE}",ns="prod"}`],
      [T0 + 120, `e{a="${STABLE}",ns="prod"}`],
      [T0 + 60, `l{a="${CANARY}"}[1m]`],
      [T0 + 120, `l{a="${CANARY}"}[1m]`],
    ],
  );
  t.equal(new Set(reqs.map((r) => r.key)).size, reqs.length, 'keys unique');
});

t.test('planQueries deduplicates identical (query, time) pairs', async (t) => {
  const a = analysis({
    minSamples: { query: 'x{a="{{canary.artifact}}"}', min: 1 },
    metrics: [
      // No {{artifact}}: the stable's expansion is the canary's.
      metric({ name: 'a', query: 'x{a="{{canary.artifact}}"}', baseline: { maxRatio: 2 } }),
      metric({ name: 'b', query: 'x{a="{{canary.artifact}}"}' }),
    ],
  });
  t.same(
    planQueries(a, target(), T0, T0 + 60).map((r) => r.query),
    [`x{a="${CANARY}"}`],
  );
});

t.test('every variable expands to its value', async (t) => {
  const q =
    'x{a="{{namespace}}",b="{{name}}",c="{{artifact}}",d="{{canary.artifact}}",e="{{stable.artifact}}",f="{{canary.digest}}",g="{{stable.digest}}"}[{{window}}]';
  const [r] = planQueries(
    analysis({ interval: 90, metrics: [metric({ query: q })] }),
    target(),
    T0,
    T0 + 90,
  );
  t.equal(
    r!.query,
    `x{a="prod",b="fraud",c="${CANARY}",d="${CANARY}",e="${STABLE}",f="${CANARY_DIGEST}",g="${STABLE_DIGEST}"}[1m30s]`,
  );
});

t.test(
  'planQueries throws ANALYSIS_NAMESPACE_UNKNOWN when {{namespace}} has no value',
  async (t) => {
    const tg = target({ release: 'fraud' });
    delete tg.namespace;
    const a = analysis({ minSamples: { query: 'n{ns="{{namespace}}"}', min: 1 } });
    t.throws(() => planQueries(a, tg, T0, T0 + 60), { code: 'ANALYSIS_NAMESPACE_UNKNOWN' });
    try {
      planQueries(a, tg, T0, T0 + 60);
    } catch (err) {
      t.ok(err instanceof AnalysisError);
    }
    t.equal(planQueries(analysis(), tg, T0, T0 + 60).length, 1, 'fine when no query needs it');
  },
);

const release = (
  spec: Partial<ReleaseForAnalysis['spec']>,
  namespace?: string,
): ReleaseForAnalysis => ({
  metadata: namespace === undefined ? { name: 'fraud' } : { name: 'fraud', namespace },
  spec: { stable: { digest: STABLE_DIGEST }, ...spec },
});
const canary = { digest: CANARY_DIGEST, traffic: 5 };
const rollout = { steps: [5, 25, 50] };

t.test(
  'analysisTarget: undefined (decision none) without canary, at traffic 0, or without rollout',
  async (t) => {
    t.equal(analysisTarget(release({ rollout })), undefined);
    t.equal(analysisTarget(release({ rollout, canary: { ...canary, traffic: 0 } })), undefined);
    t.equal(analysisTarget(release({ canary })), undefined);
  },
);

t.test('analysisTarget: artifacts, steps, onFailure default, namespace and fallback', async (t) => {
  t.same(analysisTarget(release({ canary, rollout }, 'prod')), {
    release: 'prod/fraud',
    name: 'fraud',
    namespace: 'prod',
    canary: { digest: CANARY_DIGEST, artifact: CANARY, traffic: 5 },
    stable: { digest: STABLE_DIGEST, artifact: STABLE },
    steps: [5, 25, 50],
    onFailure: 'rollback',
  });
  t.match(analysisTarget(release({ canary, rollout: { ...rollout, onFailure: 'hold' } }), 'flag'), {
    release: 'flag/fraud',
    namespace: 'flag',
    onFailure: 'hold',
  });
  t.match(analysisTarget(release({ canary, rollout }, 'prod'), 'flag'), { namespace: 'prod' });
  const none = analysisTarget(release({ canary, rollout }))!;
  t.equal(none.release, 'fraud');
  t.notOk('namespace' in none);
});
