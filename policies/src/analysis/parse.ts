import type { ErrorObject } from 'ajv';
import type { Diagnostic } from '../errors.js';
import validateDocument from '../generated/modelanalysis.validate.js';
import { formatPath, toProblems } from '../schema/problems.js';
import { parseYamlStream, type ParsedDocument } from '../yaml/parse.js';
import {
  INITIAL_DELAY_BOUNDS,
  INTERVAL_BOUNDS,
  formatDuration,
  parseDuration,
} from './duration.js';
import { checkQuery } from './promql.js';
import { valuePosition } from './position.js';
import type { ModelAnalysisDocument } from './schema.js';
import { TEMPLATE_VARIABLES, templateReferences } from './template.js';
import type { MetricSpec, ModelAnalysis } from './types.js';

/** The precompiled validator (see policies/tools/generate.ts): no ajv compile at process start. */
const compiled = validateDocument as ((data: unknown) => boolean) & {
  errors?: ErrorObject[] | null;
};

type Path = (string | number)[];

/**
 * Reads a ModelAnalysis file: one document, through the bounded YAML reader, checked against the
 * schema, then every query's template variables and PromQL syntax. Never throws on bad input;
 * returns the analysis only when there is no diagnostic.
 */
export function parseAnalysis(
  text: string,
  file: string,
): { analysis?: ModelAnalysis; diagnostics: Diagnostic[] } {
  const parsed = parseYamlStream(text, file);
  if (parsed.diagnostics.length > 0) return { diagnostics: parsed.diagnostics };
  if (parsed.documents.length !== 1) {
    return {
      diagnostics: [
        {
          code: 'ANALYSIS_SCHEMA',
          message: `a ModelAnalysis file holds exactly one document, found ${parsed.documents.length}`,
          file,
          line: parsed.documents[1]?.line ?? 1,
          column: 1,
        },
      ],
    };
  }
  const doc = parsed.documents[0]!;
  const at = (path: Path) => ({ file, ...doc.locate(path), path: formatPath(path) });
  if (!compiled(doc.value)) {
    return {
      diagnostics: toProblems(compiled.errors ?? []).map((p) => ({
        code: 'ANALYSIS_SCHEMA',
        message: p.message,
        ...at(p.path),
      })),
    };
  }
  const value = doc.value as ModelAnalysisDocument;
  const diagnostics = checkRules(value, at);
  if (diagnostics.length > 0) return { diagnostics };
  const analysis = normalise(value);
  for (const [path, query] of queries(value)) {
    diagnostics.push(...checkTemplate(text, file, doc, path, query, analysis.interval));
  }
  return diagnostics.length === 0 ? { analysis, diagnostics } : { diagnostics };
}

type At = (path: Path) => Pick<Diagnostic, 'file' | 'line' | 'column' | 'path'>;

/** What the schema cannot say: duration bounds, unique metric names, min ≤ max. */
function checkRules(value: ModelAnalysisDocument, at: At): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { spec } = value;
  for (const [key, text, bounds] of [
    ['interval', spec.interval, INTERVAL_BOUNDS],
    ['initialDelay', spec.initialDelay ?? '0s', INITIAL_DELAY_BOUNDS],
  ] as const) {
    const seconds = parseDuration(text)!;
    if (seconds < bounds.min || seconds > bounds.max) {
      out.push({
        code: 'ANALYSIS_SCHEMA',
        message: `must be between ${formatDuration(bounds.min)} and ${formatDuration(bounds.max)}`,
        ...at(['spec', key]),
      });
    }
  }
  const seen = new Set<string>();
  spec.metrics.forEach((m, i) => {
    if (seen.has(m.name)) {
      out.push({
        code: 'ANALYSIS_SCHEMA',
        message: `a second metric named "${m.name}"`,
        ...at(['spec', 'metrics', i, 'name']),
      });
    }
    seen.add(m.name);
    const range = m.thresholdRange;
    if (range?.min !== undefined && range.max !== undefined && range.min > range.max) {
      out.push({
        code: 'ANALYSIS_SCHEMA',
        message: `min (${range.min}) is above max (${range.max})`,
        ...at(['spec', 'metrics', i, 'thresholdRange', 'min']),
      });
    }
  });
  return out;
}

function queries(value: ModelAnalysisDocument): [Path, string][] {
  const out: [Path, string][] = [];
  if (value.spec.minSamples !== undefined)
    out.push([['spec', 'minSamples', 'query'], value.spec.minSamples.query]);
  value.spec.metrics.forEach((m, i) => out.push([['spec', 'metrics', i, 'query'], m.query]));
  return out;
}

function checkTemplate(
  text: string,
  file: string,
  doc: ParsedDocument,
  path: Path,
  query: string,
  interval: number,
): Diagnostic[] {
  const where = (offset: number) => ({
    file,
    ...(valuePosition(text, path, offset) ?? doc.locate(path)),
    path: formatPath(path),
  });
  const unknown = templateReferences(query).filter((r) => !r.known);
  if (unknown.length > 0) {
    return unknown.map((r) => ({
      code: 'ANALYSIS_TEMPLATE',
      message: `unknown template variable {{${r.name}}}; known: ${TEMPLATE_VARIABLES.join(', ')}`,
      ...where(r.offset),
    }));
  }
  return checkQuery(query, formatDuration(interval)).map((p) => ({
    code: p.code,
    message: p.message,
    ...where(p.offset),
  }));
}

function normalise(value: ModelAnalysisDocument): ModelAnalysis {
  const { spec } = value;
  const metrics = spec.metrics.map((m): MetricSpec => {
    const out: MetricSpec = {
      name: m.name,
      query: m.query,
      failureLimit: m.failureLimit ?? 0,
      noData: m.noData ?? 'inconclusive',
    };
    if (m.thresholdRange !== undefined) out.thresholdRange = { ...m.thresholdRange };
    if (m.baseline !== undefined) out.baseline = { ...m.baseline };
    return out;
  });
  const analysis: ModelAnalysis = {
    name: value.metadata.name,
    interval: parseDuration(spec.interval)!,
    initialDelay: parseDuration(spec.initialDelay ?? '0s')!,
    count: spec.count ?? 1,
    metrics,
  };
  if (spec.minSamples !== undefined) analysis.minSamples = { ...spec.minSamples };
  return analysis;
}
