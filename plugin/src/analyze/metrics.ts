import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ModelAnalysis } from '@aviary/policies/analysis';
import type { ReleaseReport } from './pass.js';

/**
 * What `aviary analyze --watch` exposes on /metrics: each release's share, and each analysis value
 * next to its threshold, so a dashboard shows why the analyzer did what it did.
 */
export function analyzerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const traffic = new Gauge({
    name: 'aviary_rollout_traffic_percent',
    help: 'The canary share of each analysed release after the last pass (0 without a canary).',
    labelNames: ['release'],
    registers: [registry],
  });
  const value = new Gauge({
    name: 'aviary_analysis_value',
    help: 'The newest counted measurement of each analysis metric, for the canary and the stable.',
    labelNames: ['release', 'metric', 'artifact'],
    registers: [registry],
  });
  const threshold = new Gauge({
    name: 'aviary_analysis_threshold',
    help: 'Each bound of each analysis metric: min and max (absolute), maxDelta and maxRatio (against the stable).',
    labelNames: ['release', 'metric', 'bound'],
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'aviary_rollout_decisions_total',
    help: 'Decisions made per release; "error" when a release could not be decided.',
    labelNames: ['release', 'decision'],
    registers: [registry],
  });
  const passes = new Counter({
    name: 'aviary_analysis_passes_total',
    help: 'Completed analysis passes by exit code (0 completed, 2 configuration, 4 Prometheus or Git).',
    labelNames: ['exit'],
    registers: [registry],
  });

  return {
    registry,
    /** Replaces the per-release gauges with this pass's view, so a removed release disappears. */
    record(
      reports: readonly ReleaseReport[],
      analyses: ReadonlyMap<ReleaseReport, ModelAnalysis>,
      exit: number,
    ): void {
      traffic.reset();
      value.reset();
      threshold.reset();
      passes.inc({ exit: String(exit) });
      for (const r of reports) {
        traffic.set({ release: r.release }, r.to);
        decisions.inc({ release: r.release, decision: r.decision ?? 'error' });
        const analysis = analyses.get(r);
        for (const m of r.metrics) {
          const last = [...m.measurements].reverse().find((x) => x.verdict !== 'pending');
          if (last !== undefined && last.value !== null)
            value.set({ release: r.release, metric: m.name, artifact: 'canary' }, last.value);
          if (last !== undefined && last.stable !== null)
            value.set({ release: r.release, metric: m.name, artifact: 'stable' }, last.stable);
          const spec = analysis?.metrics.find((s) => s.name === m.name);
          const bounds: [string, number | undefined][] = [
            ['min', spec?.thresholdRange?.min],
            ['max', spec?.thresholdRange?.max],
            ['maxDelta', spec?.baseline?.maxDelta],
            ['maxRatio', spec?.baseline?.maxRatio],
          ];
          for (const [bound, v] of bounds)
            if (v !== undefined) threshold.set({ release: r.release, metric: m.name, bound }, v);
        }
      }
    },
  };
}
