import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

type Schema = Record<string, unknown>;

/**
 * A JSON Schema validator for one version of a CustomResourceDefinition file, made strict the way
 * `kubectl apply --validate=strict` is: object schemas that list properties and do not preserve
 * unknown fields reject fields they do not know (the CRD itself never says additionalProperties:
 * false), and x-kubernetes-int-or-string accepts both.
 */
export function strictCrdValidator(file: string, version: string): ValidateFunction {
  const crd = parse(readFileSync(file, 'utf8'), { maxAliasCount: -1 }) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
  };
  const v = crd.spec.versions.find((x) => x.name === version);
  if (!v) throw new Error(`${version} not found in ${file}`);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(strictify(structuredClone(v.schema.openAPIV3Schema)));
}

function strictify(node: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) if (!k.startsWith('x-kubernetes-')) out[k] = v;
  if (out['properties'] && typeof out['properties'] === 'object') {
    const props: Record<string, Schema> = {};
    for (const [k, v] of Object.entries(out['properties'] as Record<string, Schema>))
      props[k] = strictify(v);
    out['properties'] = props;
    if (
      out['additionalProperties'] === undefined &&
      node['x-kubernetes-preserve-unknown-fields'] !== true
    )
      out['additionalProperties'] = false;
  }
  if (out['items'] && typeof out['items'] === 'object')
    out['items'] = strictify(out['items'] as Schema);
  if (out['additionalProperties'] && typeof out['additionalProperties'] === 'object')
    out['additionalProperties'] = strictify(out['additionalProperties'] as Schema);
  if (node['x-kubernetes-int-or-string'] === true) {
    delete out['type'];
    out['anyOf'] = [{ type: 'integer' }, { type: 'string' }];
  }
  return out;
}
