import type { FromSchema } from 'json-schema-to-ts';
import { DOCUMENT_REQUIRED, documentKind } from '../schema/document.js';

/**
 * The ModelRelease v1alpha1 schema. This object is the single source: the TypeScript type below is
 * derived from it, the ajv validator is compiled from it, and `policies/schemas/` publishes it for
 * editors. Every `pattern` carries a `maxLength` so hostile input cannot make matching expensive.
 */

const dnsLabel = {
  type: 'string',
  minLength: 1,
  maxLength: 63,
  pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$',
} as const;

const stringMap = {
  type: 'object',
  maxProperties: 64,
  propertyNames: {
    maxLength: 253,
    pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$',
  },
  additionalProperties: { type: 'string', maxLength: 4096 },
} as const;

const quantity = {
  type: 'string',
  maxLength: 64,
  pattern: '^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|[numkMGTPE]i?|Ki)?$',
} as const;

const quantityMap = {
  type: 'object',
  maxProperties: 16,
  propertyNames: { maxLength: 253, pattern: '^[a-zA-Z0-9]([-a-zA-Z0-9_./]*[a-zA-Z0-9])?$' },
  additionalProperties: quantity,
} as const;

export const artifactProperties = {
  uri: {
    description:
      'Where KServe loads the model from: scheme://location (s3, gs, oci, hf, https, pvc, ...).',
    type: 'string',
    minLength: 1,
    maxLength: 2048,
    pattern: '^[a-z][a-z0-9+.-]{0,31}://[^\\s]+$',
  },
  digest: {
    description:
      'sha256 content digest: the model-signing root digest, blob digest or OCI manifest digest.',
    type: 'string',
    maxLength: 71,
    pattern: '^sha256:[0-9a-f]{64}$',
  },
  signature: {
    description:
      'Path of the Sigstore bundle for this digest, relative to this file and inside the repository.',
    type: 'string',
    minLength: 1,
    maxLength: 1024,
  },
  source: {
    description:
      'Provenance of the artifact, e.g. models:/NAME/VERSION in an MLflow registry (written by `aviary pin`); not rendered.',
    type: 'string',
    minLength: 1,
    maxLength: 1024,
  },
} as const;

export const modelReleaseSchema = {
  $id: 'https://aviary.dev/schemas/v1alpha1/modelrelease.json',
  title: 'ModelRelease',
  description:
    'A model release: what serves today (stable) and, optionally, a candidate with a share of traffic (canary).',
  type: 'object',
  additionalProperties: false,
  required: DOCUMENT_REQUIRED,
  properties: {
    ...documentKind('ModelRelease'),
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { ...dnsLabel, description: 'Becomes the InferenceService name.' },
        namespace: {
          ...dnsLabel,
          description: 'Optional; Argo CD applies the destination namespace when unset.',
        },
        labels: { ...stringMap, description: 'Copied to the InferenceService.' },
        annotations: {
          ...stringMap,
          description: 'Copied to the InferenceService (aviary.dev/ keys are reserved).',
        },
      },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['model', 'stable'],
      properties: {
        model: {
          type: 'object',
          additionalProperties: false,
          required: ['format'],
          properties: {
            format: {
              description:
                'predictor.model.modelFormat.name, in the exact case the serving runtime declares.',
              type: 'string',
              minLength: 1,
              maxLength: 63,
              pattern: '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$',
            },
            formatVersion: {
              description: 'Optional modelFormat.version: major, major.minor or major.minor.patch.',
              type: 'string',
              maxLength: 32,
              pattern: '^[0-9]+(\\.[0-9]+){0,2}$',
            },
            runtime: {
              ...dnsLabel,
              description: 'Optional ServingRuntime or ClusterServingRuntime name.',
            },
            protocol: {
              description: 'Optional protocolVersion.',
              enum: ['v1', 'v2', 'grpc-v1', 'grpc-v2'],
            },
          },
        },
        deployment: {
          type: 'object',
          additionalProperties: false,
          properties: {
            mode: {
              description:
                'KServe deployment mode; defaults to the plugin parameter deployment-mode (Knative).',
              enum: ['Knative', 'Standard'],
            },
            minReplicas: { type: 'integer', minimum: 0, maximum: 1000 },
            maxReplicas: { type: 'integer', minimum: 0, maximum: 1000 },
            resources: {
              type: 'object',
              additionalProperties: false,
              properties: { requests: quantityMap, limits: quantityMap },
            },
            serviceAccountName: {
              ...dnsLabel,
              maxLength: 253,
              pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
            },
          },
        },
        stable: {
          description: 'The artifact serving today.',
          type: 'object',
          additionalProperties: false,
          required: ['uri', 'digest'],
          properties: artifactProperties,
        },
        canary: {
          description: 'The candidate artifact and its share of traffic.',
          type: 'object',
          additionalProperties: false,
          required: ['uri', 'digest', 'traffic'],
          properties: {
            ...artifactProperties,
            traffic: {
              description:
                'Percent of traffic for the candidate, an integer 0..100; 0 rolls back at once.',
              type: 'integer',
              minimum: 0,
              maximum: 100,
            },
          },
        },
        rollout: {
          description:
            'How `aviary analyze` moves the canary: the shares it steps through and the analysis that decides each step. Not rendered; inert without a canary.',
          type: 'object',
          additionalProperties: false,
          required: ['steps', 'analysis'],
          properties: {
            steps: {
              description:
                'Canary shares in percent, strictly ascending; after the last one passes, the canary is promoted.',
              type: 'array',
              minItems: 1,
              maxItems: 20,
              items: { type: 'integer', minimum: 1, maximum: 100 },
            },
            analysis: {
              description:
                'Path of the ModelAnalysis file, relative to this file and inside the repository.',
              type: 'string',
              minLength: 1,
              maxLength: 1024,
              // Relative: no leading slash or backslash; no NUL, which no file system path holds.
              pattern: '^[^/\\\\\\u0000][^\\u0000]*$',
            },
            onFailure: {
              description:
                'What a failed analysis does: rollback (canary.traffic: 0, the default) or hold (leave as is, report).',
              enum: ['rollback', 'hold'],
              default: 'rollback',
            },
          },
        },
      },
    },
  },
} as const;

// The validator applies no defaults, so a defaulted field (rollout.onFailure) stays optional.
export type ModelRelease = FromSchema<
  typeof modelReleaseSchema,
  { keepDefaultedPropertiesOptional: true }
>;
export type Artifact = ModelRelease['spec']['stable'];
export type CanaryArtifact = NonNullable<ModelRelease['spec']['canary']>;
export type Rollout = NonNullable<ModelRelease['spec']['rollout']>;
export type DeploymentMode = 'Knative' | 'Standard';
