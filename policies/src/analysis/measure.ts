import type { MetricSpec, QueryAnswer, Verdict } from './types.js';

/** The single sample of an answer; several samples are a configuration error. */
export type Sample =
  { kind: 'value'; value: number } | { kind: 'none' } | { kind: 'ambiguous'; count: number };

/** Zero samples or NaN is no data; one sample is the value; more is ambiguous. */
export function sampleOf(answer: QueryAnswer): Sample {
  if (answer.values.length > 1) return { kind: 'ambiguous', count: answer.values.length };
  const v = answer.values[0];
  return v === undefined || Number.isNaN(v) ? { kind: 'none' } : { kind: 'value', value: v };
}

const NO_DATA: Record<MetricSpec['noData'], Verdict> = {
  inconclusive: 'inconclusive',
  fail: 'failed',
  pass: 'passed',
};

/**
 * The verdict of one counted measurement. Failure first: outside the absolute range, or beyond a
 * baseline bound when the stable value exists. Then inconclusive when a baseline comparison cannot
 * be made (no stable data, or a stable 0 under maxRatio while the canary is not 0).
 */
export function verdictOf(spec: MetricSpec, value: number | null, stable: number | null): Verdict {
  if (value === null) return NO_DATA[spec.noData];
  const range = spec.thresholdRange;
  if (range?.min !== undefined && value < range.min) return 'failed';
  if (range?.max !== undefined && value > range.max) return 'failed';
  const base = spec.baseline;
  if (base === undefined) return 'passed';
  if (stable === null) return 'inconclusive';
  if (base.maxDelta !== undefined && value - stable > base.maxDelta) return 'failed';
  if (base.maxRatio !== undefined) {
    if (stable === 0) return value === 0 ? 'passed' : 'inconclusive';
    if (value > base.maxRatio * stable) return 'failed';
  }
  return 'passed';
}
