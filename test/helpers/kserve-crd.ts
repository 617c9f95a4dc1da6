import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { SHARED } from './paths.js';

type Schema = Record<string, unknown>;

/**
 * The real KServe v0.20.0 InferenceService CRD schema, made strict: every object schema that lists
 * properties and does not preserve unknown fields rejects fields it does not know, which is what
 * `kubectl apply --validate=strict` does. (The CRD itself omits additionalProperties: false, so a
 * plain JSON Schema check would let typos such as storageURI through.)
 */
export function loadStrictIsvcValidator(): ValidateFunction {
  const crd = parse(
    readFileSync(path.join(SHARED, 'crds/serving.kserve.io_inferenceservices.yaml'), 'utf8'),
    {
      maxAliasCount: -1,
    },
  ) as { spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } };
  const version = crd.spec.versions.find((v) => v.name === 'v1beta1');
  if (!version) throw new Error('v1beta1 not found in the CRD');
  const schema = strictify(structuredClone(version.schema.openAPIV3Schema));
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(schema);
}

function strictify(node: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('x-kubernetes-')) continue;
    out[k] = v;
  }
  if (out['properties'] && typeof out['properties'] === 'object') {
    const props: Record<string, Schema> = {};
    for (const [k, v] of Object.entries(out['properties'] as Record<string, Schema>))
      props[k] = strictify(v);
    out['properties'] = props;
    if (
      out['additionalProperties'] === undefined &&
      node['x-kubernetes-preserve-unknown-fields'] !== true
    ) {
      out['additionalProperties'] = false;
    }
  }
  if (out['items'] && typeof out['items'] === 'object')
    out['items'] = strictify(out['items'] as Schema);
  if (out['additionalProperties'] && typeof out['additionalProperties'] === 'object') {
    out['additionalProperties'] = strictify(out['additionalProperties'] as Schema);
  }
  if (node['x-kubernetes-int-or-string'] === true) {
    delete out['type'];
    out['anyOf'] = [{ type: 'integer' }, { type: 'string' }];
  }
  return out;
}
