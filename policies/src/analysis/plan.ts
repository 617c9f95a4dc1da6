import { formatDuration } from './duration.js';
import { AnalysisError } from './errors.js';
import { expandTemplate, usesVariable } from './template.js';
import { measurementTimes } from './times.js';
import type { AnalysisTarget, ModelAnalysis, QueryRequest } from './types.js';

/** The keys of every query one step needs, by measurement time (same order as `times`). */
export interface Plan {
  times: number[];
  /** The canary's minSamples query per time; absent without minSamples. */
  minSamples?: string[];
  /** Per metric (analysis order): the canary's query per time, and the stable's with a baseline. */
  metrics: { canary: string[]; stable?: string[] }[];
  requests: QueryRequest[];
}

/** Unique per (expanded query, time), so identical queries are asked once. */
function queryKey(query: string, time: number): string {
  return `${time} ${query}`;
}

/** The template values for measuring one artifact of a release. */
export function templateValues(
  a: ModelAnalysis,
  t: AnalysisTarget,
  role: 'canary' | 'stable',
): Record<string, string> {
  const values: Record<string, string> = {
    name: t.name,
    window: formatDuration(a.interval),
    artifact: t[role].artifact,
    'canary.artifact': t.canary.artifact,
    'stable.artifact': t.stable.artifact,
    'canary.digest': t.canary.digest,
    'stable.digest': t.stable.digest,
  };
  if (t.namespace !== undefined) values['namespace'] = t.namespace;
  return values;
}

/**
 * Every query of a step: the canary's minSamples query and each metric's query per measurement
 * time, plus the stable's for a metric with a baseline. Throws ANALYSIS_NAMESPACE_UNKNOWN when a
 * query needs `{{namespace}}` and the release has none.
 */
export function plan(a: ModelAnalysis, t: AnalysisTarget, stepStart: number, now: number): Plan {
  const all = [...(a.minSamples ? [a.minSamples.query] : []), ...a.metrics.map((m) => m.query)];
  if (t.namespace === undefined && all.some((q) => usesVariable(q, 'namespace'))) {
    throw new AnalysisError(
      'ANALYSIS_NAMESPACE_UNKNOWN',
      `analysis "${a.name}" uses {{namespace}} and release ${t.release} has no namespace: set metadata.namespace or --namespace`,
    );
  }
  const times = measurementTimes(a, stepStart, now);
  const requests = new Map<string, QueryRequest>();
  const keys = (template: string, role: 'canary' | 'stable'): string[] => {
    const query = expandTemplate(template, templateValues(a, t, role));
    return times.map((time) => {
      const key = queryKey(query, time);
      if (!requests.has(key)) requests.set(key, { key, query, time });
      return key;
    });
  };
  const result: Plan = { times, metrics: [], requests: [] };
  if (a.minSamples !== undefined) result.minSamples = keys(a.minSamples.query, 'canary');
  for (const m of a.metrics) {
    const entry: Plan['metrics'][number] = { canary: keys(m.query, 'canary') };
    if (m.baseline !== undefined) entry.stable = keys(m.query, 'stable');
    result.metrics.push(entry);
  }
  result.requests = [...requests.values()];
  return result;
}

/** The instant queries one pass must run for a release (deduplicated), in a stable order. */
export function planQueries(
  a: ModelAnalysis,
  t: AnalysisTarget,
  stepStart: number,
  now: number,
): QueryRequest[] {
  return plan(a, t, stepStart, now).requests;
}
