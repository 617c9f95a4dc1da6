import { AnalysisError } from './errors.js';
import { sampleOf, verdictOf } from './measure.js';
import { phaseOf } from './phase.js';
import { plan, type Plan } from './plan.js';
import type {
  AnalysisTarget,
  DecisionKind,
  Measurement,
  MetricOutcome,
  ModelAnalysis,
  Outcome,
  QueryAnswer,
} from './types.js';

/**
 * The decision for one release at `now`, from the answers to {@link planQueries}'s requests (keyed
 * by request key). Pure: the same inputs give the same outcome, so any pass can be replayed.
 * A configuration error (a query with several series, a namespace that is needed and unknown)
 * decides nothing: `decision: null` with the error. A missing answer is a caller bug and throws.
 */
export function decide(
  a: ModelAnalysis,
  t: AnalysisTarget,
  stepStart: number,
  now: number,
  answers: ReadonlyMap<string, QueryAnswer>,
): Outcome {
  const from = t.canary.traffic;
  if (from === 0) return { decision: 'none', from, to: from, metrics: [] };
  let metrics: MetricOutcome[];
  try {
    metrics = evaluate(a, plan(a, t, stepStart, now), answers);
  } catch (err) {
    if (!(err instanceof AnalysisError)) throw err;
    return {
      decision: null,
      from,
      to: from,
      metrics: [],
      error: { code: err.code, message: err.message },
    };
  }
  const { decision, to } = releaseDecision(metrics, t);
  return { decision, from, to, metrics };
}

function evaluate(
  a: ModelAnalysis,
  p: Plan,
  answers: ReadonlyMap<string, QueryAnswer>,
): MetricOutcome[] {
  const value = (key: string, what: string, time: number): number | null => {
    const answer = answers.get(key);
    if (answer === undefined)
      throw new Error(`decide: no answer for planned query ${JSON.stringify(key)}`);
    const s = sampleOf(answer);
    if (s.kind === 'ambiguous') {
      throw new AnalysisError(
        'ANALYSIS_QUERY_AMBIGUOUS',
        `${what} at ${new Date(time * 1000).toISOString()} returned ${s.count} series, not one: aggregate it (e.g. sum(...))`,
      );
    }
    return s.kind === 'value' ? s.value : null;
  };
  const pending = p.times.map((time, k) => {
    if (a.minSamples === undefined) return false;
    const samples = value(p.minSamples![k]!, 'the minSamples query', time) ?? 0;
    return samples < a.minSamples.min;
  });
  return a.metrics.map((spec, i) => {
    const keys = p.metrics[i]!;
    const measurements = p.times.map((time, k): Measurement => {
      const v = value(keys.canary[k]!, `metric "${spec.name}" on the canary`, time);
      const stable =
        keys.stable === undefined
          ? null
          : value(keys.stable[k]!, `metric "${spec.name}" on the stable`, time);
      const verdict = pending[k] ? 'pending' : verdictOf(spec, v, stable);
      return { time, value: v, stable, verdict };
    });
    return {
      name: spec.name,
      phase: phaseOf(measurements, spec.failureLimit, a.count),
      measurements,
    };
  });
}

/** The release decision table of the design, first matching row wins. */
function releaseDecision(
  metrics: readonly MetricOutcome[],
  t: AnalysisTarget,
): { decision: DecisionKind; to: number } {
  const from = t.canary.traffic;
  const phases = metrics.map((m) => m.phase);
  if (phases.includes('failed'))
    return t.onFailure === 'rollback'
      ? { decision: 'rollback', to: 0 }
      : { decision: 'hold', to: from };
  if (phases.every((p) => p === 'passed')) {
    const higher = t.steps.filter((s) => s > from);
    const next = higher.length === 0 ? undefined : Math.min(...higher);
    return next === undefined ? { decision: 'promote', to: 100 } : { decision: 'step', to: next };
  }
  if (phases.includes('inconclusive')) return { decision: 'hold', to: from };
  return { decision: 'wait', to: from };
}
