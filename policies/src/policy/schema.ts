import type { FromSchema } from 'json-schema-to-ts';
import { DOCUMENT_REQUIRED, LABEL_NAME, documentKind } from '../schema/document.js';

/**
 * The ModelReleasePolicy v1alpha1 schema: the single source of the TypeScript type, the strict ajv
 * validator and the CRD's openAPIV3Schema (generated into deploy/, checked for staleness in CI).
 */

const labelSelector = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: {
      type: 'object',
      maxProperties: 32,
      additionalProperties: { type: 'string', maxLength: 63 },
    },
    matchExpressions: {
      type: 'array',
      maxItems: 32,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string', minLength: 1, maxLength: 317 },
          operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: { type: 'array', maxItems: 64, items: { type: 'string', maxLength: 63 } },
        },
      },
    },
  },
} as const;

const pem = { type: 'string', minLength: 1, maxLength: 16384 } as const;
const percent = { type: 'integer', minimum: 0, maximum: 100 } as const;

export const policySchema = {
  $id: 'https://aviary.dev/schemas/v1alpha1/modelreleasepolicy.json',
  title: 'ModelReleasePolicy',
  description:
    'Which InferenceServices may be admitted: pinning, signatures and canary traffic rules.',
  type: 'object',
  additionalProperties: false,
  required: DOCUMENT_REQUIRED,
  properties: {
    ...documentKind('ModelReleasePolicy'),
    metadata: {
      type: 'object',
      required: ['name'],
      properties: {
        name: {
          type: 'string',
          minLength: 1,
          maxLength: 253,
          pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
        },
      },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        mode: {
          description:
            'enforce denies; warn allows with warnings; audit allows and records. Default: enforce.',
          enum: ['enforce', 'warn', 'audit'],
        },
        defaultDeploymentMode: {
          description:
            "The cluster's KServe defaultDeploymentMode, for objects that do not state their own. Absent: each object is judged under both modes and must pass both.",
          enum: ['Knative', 'Standard'],
        },
        match: {
          description:
            'Which objects the policy applies to; every criterion given must hold. Absent: all.',
          type: 'object',
          additionalProperties: false,
          properties: {
            namespaces: {
              type: 'array',
              maxItems: 256,
              items: { type: 'string', minLength: 1, maxLength: 63 },
            },
            namespaceSelector: labelSelector,
            objectSelector: labelSelector,
          },
        },
        pinning: {
          type: 'object',
          additionalProperties: false,
          properties: {
            required: {
              description: 'Every model URI must be pinned. Default: true.',
              type: 'boolean',
            },
            allowedSchemes: {
              type: 'array',
              maxItems: 32,
              items: { type: 'string', maxLength: 32, pattern: '^[a-z][a-z0-9+.-]*$' },
            },
            allowedPrefixes: {
              type: 'array',
              maxItems: 256,
              items: { type: 'string', minLength: 1, maxLength: 2048 },
            },
            images: {
              description:
                'Every container image (InferenceService, TrainedModel, ServingRuntime, ClusterServingRuntime) must be pinned as name@sha256:<64 hex>. Default: false.',
              type: 'boolean',
            },
            allowedImagePrefixes: {
              description:
                'Repositories images may come from, compared on / boundaries after Docker Hub names are expanded (nginx is docker.io/library/nginx).',
              type: 'array',
              maxItems: 256,
              items: { type: 'string', minLength: 1, maxLength: 512 },
            },
          },
        },
        signatures: {
          type: 'object',
          additionalProperties: false,
          properties: {
            required: {
              description: 'Every artifact must be signed by an authority. Default: false.',
              type: 'boolean',
            },
            allowCompatPredicate: {
              description: 'Also accept the model-signing v0.1 compat predicate. Default: false.',
              type: 'boolean',
            },
            authorities: {
              type: 'array',
              maxItems: 32,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['name'],
                properties: {
                  name: LABEL_NAME,
                  predicateTypes: {
                    description:
                      'In-toto predicate types this authority vouches for besides model-signing v1.0, compared exactly (e.g. a cosign attestation --type). Statements of any other type are refused.',
                    type: 'array',
                    maxItems: 16,
                    items: { type: 'string', minLength: 1, maxLength: 512 },
                  },
                  key: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['publicKey'],
                    properties: {
                      publicKey: pem,
                      hashAlgorithm: { enum: ['sha256', 'sha384', 'sha512'] },
                    },
                  },
                  keyless: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['issuer'],
                    properties: {
                      issuer: { type: 'string', minLength: 1, maxLength: 1024 },
                      subject: { type: 'string', minLength: 1, maxLength: 1024 },
                      subjectRegExp: { type: 'string', minLength: 2, maxLength: 512 },
                      trustedRoot: { type: 'string', minLength: 1, maxLength: 63 },
                    },
                  },
                  certificate: {
                    description:
                      'A private PKI: the chain must reach one of roots, and the leaf must name exactly the subject (or match subjectRegExp): a SAN (email, DNS, URI), or its CN when it has no SAN. Exactly one of subject, subjectRegExp.',
                    type: 'object',
                    additionalProperties: false,
                    required: ['roots'],
                    properties: {
                      roots: { type: 'array', minItems: 1, maxItems: 16, items: pem },
                      subject: { type: 'string', minLength: 1, maxLength: 1024 },
                      subjectRegExp: { type: 'string', minLength: 2, maxLength: 512 },
                    },
                  },
                },
              },
            },
          },
        },
        canary: {
          type: 'object',
          additionalProperties: false,
          properties: {
            maxTrafficPercent: {
              ...percent,
              description: 'Any canary share above this is a violation.',
            },
            steps: {
              description: 'Allowed values for a canary share.',
              type: 'array',
              maxItems: 101,
              items: percent,
            },
            maxIncrease: {
              ...percent,
              description: 'Largest increase of the same candidate on UPDATE.',
            },
            requireCanary: {
              description:
                'A new artifact must enter as a canary, never straight to 100%. Default: false.',
              type: 'boolean',
            },
          },
        },
      },
    },
  },
} as const;

export type ModelReleasePolicy = FromSchema<typeof policySchema>;
export type PolicyAuthority = NonNullable<
  NonNullable<ModelReleasePolicy['spec']['signatures']>['authorities']
>[number];
export type LabelSelector = NonNullable<
  NonNullable<ModelReleasePolicy['spec']['match']>['namespaceSelector']
>;
