import { Ajv } from 'ajv';
import * as standalone from 'ajv/dist/standalone/index.js';
import { stringify } from 'yaml';
import { modelReleaseSchema } from '../src/spec/schema.js';
import { policySchema } from '../src/policy/schema.js';
import { modelAnalysisSchema } from '../src/analysis/schema.js';

/**
 * Published forms of the schemas, generated from the single sources: JSON Schema files for
 * editors (yaml-language-server) and the ModelReleasePolicy CRD. CI regenerates them and fails when
 * the committed copies are stale.
 */

type Node = Record<string, unknown>;

const EDITOR_SCHEMAS = {
  modelrelease: modelReleaseSchema,
  modelreleasepolicy: policySchema,
  modelanalysis: modelAnalysisSchema,
};

export function editorSchema(which: keyof typeof EDITOR_SCHEMAS): string {
  const schema = EDITOR_SCHEMAS[which];
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema }, null, 2)}\n`;
}

/**
 * Converts to a Kubernetes structural schema: every node typed, no `const`, no `propertyNames`, and
 * no `additionalProperties: false` next to `properties`. A structural schema cannot refuse an
 * unknown field: the apiserver prunes it before admission unless the client asked for strict field
 * validation, and a policy with a misspelt rule would be stored weaker than written. So every object
 * node keeps unknown fields (`x-kubernetes-preserve-unknown-fields`), the webhook sees them when the
 * policy is written and refuses it (its strict schema names the field), and a policy stored while
 * the webhook was away is unenforceable rather than weaker.
 */
export function toStructural(node: Node): Node {
  const out: Node = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$id' || k === 'title' || k === 'propertyNames') continue;
    if (k === 'additionalProperties' && v === false) continue;
    if (k === 'const') {
      out['type'] = typeof v;
      out['enum'] = [v];
      continue;
    }
    if (k === 'properties') {
      const props: Node = {};
      for (const [name, child] of Object.entries(v as Node))
        props[name] = toStructural(child as Node);
      out[k] = props;
    } else if (
      (k === 'items' || k === 'additionalProperties') &&
      typeof v === 'object' &&
      v !== null
    ) {
      out[k] = toStructural(v as Node);
    } else {
      out[k] = v;
    }
  }
  if (out['type'] === undefined && Array.isArray(out['enum']))
    out['type'] = typeof (out['enum'] as unknown[])[0];
  if (out['properties'] !== undefined) out['x-kubernetes-preserve-unknown-fields'] = true;
  return out;
}

const READY = (field: string) => `.status.conditions[?(@.type=="Ready")].${field}`;

/** What the webhook reports on each policy: metav1.Condition's shape, keyed by type. */
const statusSchema = {
  type: 'object',
  properties: {
    conditions: {
      type: 'array',
      maxItems: 8,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: {
        type: 'object',
        required: ['type', 'status'],
        properties: {
          type: { type: 'string', maxLength: 316 },
          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
          reason: { type: 'string', maxLength: 1024 },
          message: { type: 'string', maxLength: 32768 },
          observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
          lastTransitionTime: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
};

export function policyCrd(): string {
  const spec = toStructural(policySchema.properties.spec);
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'modelreleasepolicies.aviary.dev' },
    spec: {
      group: 'aviary.dev',
      names: {
        kind: 'ModelReleasePolicy',
        listKind: 'ModelReleasePolicyList',
        plural: 'modelreleasepolicies',
        singular: 'modelreleasepolicy',
        shortNames: ['mrp'],
      },
      scope: 'Cluster',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          additionalPrinterColumns: [
            { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
            { name: 'Ready', type: 'string', jsonPath: READY('status') },
            { name: 'Reason', type: 'string', jsonPath: READY('reason') },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          // The webhook writes status (the Ready condition); spec writes never change it.
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              description: policySchema.description,
              type: 'object',
              required: ['spec'],
              // Top-level unknown fields reach the webhook too (and are refused there).
              'x-kubernetes-preserve-unknown-fields': true,
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec,
                status: statusSchema,
              },
            },
          },
        },
      ],
    },
  };
  return `# Generated from policies/src/policy/schema.ts by \`npm run generate\`; do not edit.\n${stringify(crd, { lineWidth: 0 })}`;
}

/**
 * The ModelRelease validator as standalone code, so `aviary generate` (a fresh process per Argo CD
 * call) neither loads nor runs ajv's compiler. Same options as the runtime validator.
 */
export function modelReleaseValidatorSource(): string {
  return validatorSource(modelReleaseSchema, 'policies/src/spec/schema.ts');
}

/** The ModelAnalysis validator, standalone for the same reason (`aviary analyze` runs often). */
export function modelAnalysisValidatorSource(): string {
  return validatorSource(modelAnalysisSchema, 'policies/src/analysis/schema.ts');
}

function validatorSource(schema: object, from: string): string {
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictTuples: false,
    allowUnionTypes: true,
    code: { source: true, esm: true },
  });
  const standaloneCode = (standalone as unknown as { default: (a: Ajv, v: unknown) => string })
    .default;
  let code = standaloneCode(ajv, ajv.compile(schema));
  // ajv's ESM output still requires its string-length helper; give it an ESM-safe equivalent
  // (code points, counting a surrogate pair once, as ajv's helper does).
  code = code.replace(
    /require\("ajv\/dist\/runtime\/ucs2length"\)\.default/g,
    '((s) => [...s].length)',
  );
  if (code.includes('require(')) throw new Error('standalone validator still uses require()');
  return `// Generated from ${from} by \`npm run generate\`; do not edit.\n// @ts-nocheck\n/* eslint-disable */\n${code}\n`;
}
