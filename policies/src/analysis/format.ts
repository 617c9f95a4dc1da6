import type { Measurement, MetricOutcome, MetricSpec } from './types.js';

/** Six significant digits: enough to compare with a threshold, stable across runs. */
function num(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/**
 * The measurement a report shows: the latest failed one when the metric failed (the one that
 * decided), else the latest counted one, else the latest at all.
 */
function shown(m: MetricOutcome): Measurement | undefined {
  const latest = (pick: (x: Measurement) => boolean) => m.measurements.filter(pick).at(-1);
  return (
    (m.phase === 'failed' ? latest((x) => x.verdict === 'failed') : undefined) ??
    latest((x) => x.verdict !== 'pending') ??
    m.measurements.at(-1)
  );
}

/**
 * One line per metric, each value next to its threshold, for reports and commit messages:
 * `error-rate 0.004 (max 0.01; stable 0.003, maxDelta 0.005) passed`. A metric without a
 * measurement shows `-`, one without data `no data`.
 */
export function formatMetricLine(m: MetricOutcome, spec: MetricSpec): string {
  const at = shown(m);
  const value = at === undefined ? '-' : at.value === null ? 'no data' : num(at.value);
  const bounds: string[] = [];
  if (spec.thresholdRange?.min !== undefined) bounds.push(`min ${num(spec.thresholdRange.min)}`);
  if (spec.thresholdRange?.max !== undefined) bounds.push(`max ${num(spec.thresholdRange.max)}`);
  const groups = bounds.length > 0 ? [bounds.join(', ')] : [];
  if (spec.baseline !== undefined) {
    const base = [`stable ${at?.stable === null || at === undefined ? 'no data' : num(at.stable)}`];
    if (spec.baseline.maxDelta !== undefined) base.push(`maxDelta ${num(spec.baseline.maxDelta)}`);
    if (spec.baseline.maxRatio !== undefined) base.push(`maxRatio ${num(spec.baseline.maxRatio)}`);
    groups.push(base.join(', '));
  }
  const thresholds = groups.length > 0 ? ` (${groups.join('; ')})` : '';
  return `${m.name} ${value}${thresholds} ${m.phase}`;
}
