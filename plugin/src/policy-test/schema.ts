import type { FromSchema } from 'json-schema-to-ts';

const codes = {
  type: 'array',
  maxItems: 100,
  items: { type: 'string', minLength: 1, maxLength: 64 },
} as const;
const relPath = { type: 'string', minLength: 1, maxLength: 1024 } as const;

/** A policy test suite (`*.aviary-test.yaml`), in the spirit of `kyverno test` and `gator verify`. */
export const suiteSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'policies', 'cases'],
  properties: {
    apiVersion: { const: 'aviary.dev/v1alpha1' },
    kind: { const: 'PolicyTest' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: { type: 'string', minLength: 1, maxLength: 253 } },
    },
    policies: {
      description: 'Policy files or folders, relative to this file.',
      type: 'array',
      minItems: 1,
      maxItems: 32,
      items: relPath,
    },
    cases: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'object', 'expect'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 256 },
          object: {
            description: 'InferenceService or ModelRelease file, relative to this file.',
            ...relPath,
          },
          old: { description: 'The object before an UPDATE.', ...relPath },
          operation: { enum: ['CREATE', 'UPDATE'] },
          namespace: { type: 'string', minLength: 1, maxLength: 63 },
          namespaceLabels: {
            type: 'object',
            additionalProperties: { type: 'string', maxLength: 63 },
          },
          expect: {
            type: 'object',
            additionalProperties: false,
            required: ['allowed'],
            properties: {
              allowed: { type: 'boolean' },
              violations: { description: 'Exact set of violation codes.', ...codes },
              warnings: { description: 'Exact set of warning codes.', ...codes },
              audits: { description: 'Exact set of audit codes.', ...codes },
            },
          },
        },
      },
    },
  },
} as const;

export type PolicyTestSuite = FromSchema<typeof suiteSchema>;
