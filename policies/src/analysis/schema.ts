import type { FromSchema } from 'json-schema-to-ts';
import { DURATION_PATTERN } from './duration.js';
import { DOCUMENT_REQUIRED, LABEL_NAME, documentKind } from '../schema/document.js';

/**
 * The ModelAnalysis v1alpha1 schema, the single source: the document type below is derived from it,
 * the precompiled validator is generated from it (policies/tools/generate.ts) and `policies/schemas/`
 * publishes it for editors. Every string is bounded, every pattern too.
 */

const duration = {
  type: 'string',
  minLength: 1,
  maxLength: 20,
  pattern: DURATION_PATTERN,
} as const;

const query = {
  description:
    'A PromQL expression; {{namespace}}, {{name}}, {{window}}, {{artifact}}, {{canary.artifact}}, {{stable.artifact}}, {{canary.digest}} and {{stable.digest}} are replaced, the values escaped for a double-quoted string.',
  type: 'string',
  minLength: 1,
  maxLength: 4096,
} as const;

const metric = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'query'],
  properties: {
    name: {
      description: 'Unique in the analysis; shown in reports, commit messages and metrics.',
      type: 'string',
      minLength: 1,
      maxLength: 63,
      pattern: '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$',
    },
    query,
    thresholdRange: {
      description: "Absolute bounds on the canary's value; outside them a measurement fails.",
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { min: { type: 'number' }, max: { type: 'number' } },
    },
    baseline: {
      description: 'Comparison with the stable: the same query with the stable artifact.',
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        maxDelta: {
          description: 'Fails when canary − stable exceeds it.',
          type: 'number',
          minimum: 0,
        },
        maxRatio: {
          description: 'Fails when canary exceeds maxRatio × stable.',
          type: 'number',
          exclusiveMinimum: 0,
        },
      },
    },
    failureLimit: {
      description: 'Failed measurements tolerated at a step (default 0).',
      type: 'integer',
      minimum: 0,
      maximum: 100,
    },
    noData: {
      description: 'The verdict of a measurement without data (default inconclusive).',
      enum: ['inconclusive', 'fail', 'pass'],
    },
  },
} as const;

export const modelAnalysisSchema = {
  $id: 'https://aviary.dev/schemas/v1alpha1/modelanalysis.json',
  title: 'ModelAnalysis',
  description:
    'How a canary is measured against the stable in Prometheus at each rollout step, and when a measurement passes or fails.',
  type: 'object',
  additionalProperties: false,
  required: DOCUMENT_REQUIRED,
  properties: {
    ...documentKind('ModelAnalysis'),
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: LABEL_NAME,
      },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['interval', 'metrics'],
      properties: {
        interval: {
          ...duration,
          description: 'Spacing of measurements and the value of {{window}}, 10s to 24h.',
        },
        initialDelay: {
          ...duration,
          description: 'Warm-up after a step starts, before the first measurement (default 0).',
        },
        count: {
          description: 'Counted measurements needed at each step (default 1).',
          type: 'integer',
          minimum: 1,
          maximum: 100,
        },
        minSamples: {
          description: 'A measurement counts only once this query on the canary reaches min.',
          type: 'object',
          additionalProperties: false,
          required: ['query', 'min'],
          properties: { query, min: { type: 'number', minimum: 0 } },
        },
        metrics: { type: 'array', minItems: 1, maxItems: 20, items: metric },
      },
    },
  },
} as const;

/** A ModelAnalysis document as written (durations as text, defaults not applied). */
export type ModelAnalysisDocument = FromSchema<typeof modelAnalysisSchema>;
