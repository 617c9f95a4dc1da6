/**
 * The analysis entry (`@aviary/policies/analysis`): the ModelAnalysis kind and the pure
 * measurement → metric → decision evaluation of a canary. No I/O: Prometheus answers and the
 * current time come in as data, so every decision can be replayed.
 */
export { modelAnalysisSchema } from './schema.js';
export type { ModelAnalysisDocument } from './schema.js';
export { parseAnalysis } from './parse.js';
export { AnalysisError } from './errors.js';
export { TEMPLATE_VARIABLES, expandTemplate, escapePromqlString } from './template.js';
export type { TemplateVariable } from './template.js';
export { parseDuration, formatDuration } from './duration.js';
export { analysisTarget } from './target.js';
export type { ReleaseForAnalysis } from './target.js';
export { measurementTimes, MAX_MEASUREMENTS } from './times.js';
export { planQueries } from './plan.js';
export { decide } from './decide.js';
export { formatMetricLine } from './format.js';
export type {
  MetricSpec,
  ModelAnalysis,
  AnalysisTarget,
  QueryRequest,
  QueryAnswer,
  Phase,
  Verdict,
  Measurement,
  MetricOutcome,
  DecisionKind,
  Outcome,
} from './types.js';
