import {
  planQueries,
  type AnalysisTarget,
  type MetricSpec,
  type ModelAnalysis,
  type QueryAnswer,
} from '@aviary/policies/analysis';

/** Digests whose artifact labels (first 12 hex) tell canary and stable apart in a query. */
export const CANARY_DIGEST = `sha256:${'c'.repeat(64)}`;
export const STABLE_DIGEST = `sha256:${'5'.repeat(64)}`;
export const CANARY = 'c'.repeat(12);
export const STABLE = '5'.repeat(12);

export const T0 = 1_700_000_000;

export function metric(overrides: Partial<MetricSpec> = {}): MetricSpec {
  return {
    name: 'error-rate',
    query: 'sum(rate(errors{artifact="{{artifact}}"}[{{window}}]))',
    failureLimit: 0,
    noData: 'inconclusive',
    ...overrides,
  };
}

/** interval 60 s, no warm-up, count 1, one metric with max 0.01. */
export function analysis(overrides: Partial<ModelAnalysis> = {}): ModelAnalysis {
  return {
    name: 'errors',
    interval: 60,
    initialDelay: 0,
    count: 1,
    metrics: [metric({ thresholdRange: { max: 0.01 } })],
    ...overrides,
  };
}

export function target(overrides: Partial<AnalysisTarget> = {}): AnalysisTarget {
  return {
    release: 'prod/fraud',
    name: 'fraud',
    namespace: 'prod',
    canary: { digest: CANARY_DIGEST, artifact: CANARY, traffic: 5 },
    stable: { digest: STABLE_DIGEST, artifact: STABLE },
    steps: [5, 25, 50],
    onFailure: 'rollback',
    ...overrides,
  };
}

/** What Prometheus holds, as a function of the query text (already expanded) and the time. */
export type History = (query: string, time: number) => number[];

/** The canary's query mentions the canary's label, the stable's the stable's. */
export const role = (query: string): 'canary' | 'stable' =>
  query.includes(CANARY) ? 'canary' : 'stable';

/** Answers every planned request from a history, as the Prometheus client would. */
export function answer(
  a: ModelAnalysis,
  t: AnalysisTarget,
  stepStart: number,
  now: number,
  history: History,
): Map<string, QueryAnswer> {
  return new Map(
    planQueries(a, t, stepStart, now).map((r) => [r.key, { values: history(r.query, r.time) }]),
  );
}
