import type { Measurement, Phase } from './types.js';

/**
 * A metric's phase at a step. Failed when the failed measurements among all counted ones exceed
 * failureLimit (failures never age out); else, over the most recent `count` counted measurements:
 * running while there are fewer, inconclusive if any is, passed otherwise (a tolerated failure
 * among them does not block passing).
 */
export function phaseOf(
  measurements: readonly Measurement[],
  failureLimit: number,
  count: number,
): Phase {
  const counted = measurements.filter((m) => m.verdict !== 'pending');
  if (counted.filter((m) => m.verdict === 'failed').length > failureLimit) return 'failed';
  const recent = counted.slice(-count);
  if (recent.length < count) return 'running';
  return recent.some((m) => m.verdict === 'inconclusive') ? 'inconclusive' : 'passed';
}
