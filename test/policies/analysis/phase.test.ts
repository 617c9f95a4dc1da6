import t from 'tap';
import { decide, type ModelAnalysis, type Verdict } from '@aviary/policies/analysis';
import { analysis, answer, metric, target, T0 } from './fixture.js';

/**
 * The per-metric rules at a step: failureLimit over every counted measurement since T0 (failures
 * never age out), then the most recent `count` counted measurements.
 */

/** One measurement per minute; each letter is one: p(ass), f(ail), i(nconclusive), _ pending. */
function phase(script: string, a: Partial<ModelAnalysis> = {}) {
  const an = analysis({
    minSamples: { query: 'n{x="{{artifact}}"}', min: 1 },
    metrics: [metric({ thresholdRange: { max: 1 } })],
    ...a,
  });
  const now = T0 + 60 * script.length;
  const at = (time: number) => script[(time - T0) / 60 - 1]!;
  const h = (q: string, time: number) =>
    q.startsWith('n') ? [at(time) === '_' ? 0 : 10] : { p: [0], f: [2], i: [], _: [0] }[at(time)]!;
  const o = decide(an, target(), T0, now, answer(an, target(), T0, now, h));
  return {
    phase: o.metrics[0]!.phase,
    verdicts: o.metrics[0]!.measurements.map((m) => m.verdict),
    o,
  };
}

t.test('the script maps to verdicts', async (t) => {
  const v: Verdict[] = ['passed', 'failed', 'inconclusive', 'pending'];
  t.same(phase('pfi_').verdicts, v);
});

t.test('failureLimit: failed once failures exceed it', async (t) => {
  t.equal(phase('f').phase, 'failed', 'limit 0, one failure');
  t.equal(
    phase('f', { metrics: [metric({ thresholdRange: { max: 1 }, failureLimit: 1 })] }).phase,
    'passed',
  );
  t.equal(
    phase('fpf', { metrics: [metric({ thresholdRange: { max: 1 }, failureLimit: 1 })] }).phase,
    'failed',
  );
});

t.test('count: running until count counted measurements, pending ones not counted', async (t) => {
  t.equal(phase('pp', { count: 3 }).phase, 'running');
  t.equal(phase('p_p_', { count: 3 }).phase, 'running');
  t.equal(phase('p_p_p', { count: 3 }).phase, 'passed');
  t.equal(phase('ppp', { count: 3 }).phase, 'passed');
});

t.test('inconclusive within the last count; a gap ages out after count good ones', async (t) => {
  t.equal(phase('ppi', { count: 3 }).phase, 'inconclusive');
  t.equal(phase('ipp', { count: 3 }).phase, 'inconclusive');
  t.equal(phase('ippp', { count: 3 }).phase, 'passed', 'the gap aged out');
  t.equal(phase('ip_p_p', { count: 3 }).phase, 'passed', 'pending ones do not hold it in');
});

t.test('failures never age out', async (t) => {
  const r = phase('fpppppppp', { count: 3 });
  t.equal(r.phase, 'failed');
  t.equal(r.o.decision, 'rollback');
});

t.test('a tolerated failure among the last count does not block passing', async (t) => {
  const limit1 = { count: 3, metrics: [metric({ thresholdRange: { max: 1 }, failureLimit: 1 })] };
  t.equal(phase('pfp', limit1).phase, 'passed');
  t.equal(phase('pfp', limit1).o.decision, 'step');
});
