import type { ModelAnalysis } from './types.js';

/**
 * At most this many measurement times are evaluated per step: the most recent ones. A step that
 * ran longer (a canary held for days) would otherwise cost a query per interval of its whole life
 * on every pass.
 */
export const MAX_MEASUREMENTS = 500;

/**
 * The measurement times of a step, oldest first: t_k = T0 + initialDelay + k·interval for
 * k = 1, 2, … with t_k ≤ now (the first window opens after the warm-up).
 */
export function measurementTimes(a: ModelAnalysis, stepStart: number, now: number): number[] {
  const first = stepStart + a.initialDelay + a.interval;
  if (now < first) return [];
  const n = Math.floor((now - first) / a.interval) + 1;
  const skip = Math.max(0, n - MAX_MEASUREMENTS);
  const times: number[] = [];
  for (let k = skip; k < n; k++) times.push(first + k * a.interval);
  return times;
}
