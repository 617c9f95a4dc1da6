import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import {
  editorSchema,
  modelAnalysisValidatorSource,
  modelReleaseValidatorSource,
  policyCrd,
} from '../../policies/tools/publish.js';
import { REPO } from '../helpers/paths.js';

const read = (rel: string) => readFileSync(path.join(REPO, rel), 'utf8');

t.test('published schemas and the CRD are generated from the current sources', async (t) => {
  t.equal(
    read('policies/schemas/modelrelease.schema.json'),
    editorSchema('modelrelease'),
    'run `npm run generate`',
  );
  t.equal(
    read('policies/schemas/modelreleasepolicy.schema.json'),
    editorSchema('modelreleasepolicy'),
    'run `npm run generate`',
  );
  t.equal(
    read('deploy/webhook/crd/modelreleasepolicies.aviary.dev.yaml'),
    policyCrd(),
    'run `npm run generate`',
  );
  t.equal(
    read('deploy/webhook/trust/public-good.json'),
    read('policies/trust/public-good.json'),
    'run `npm run generate`',
  );
  t.equal(
    read('policies/src/generated/modelrelease.validate.ts'),
    modelReleaseValidatorSource(),
    'run `npm run generate`',
  );
  t.equal(
    read('policies/schemas/modelanalysis.schema.json'),
    editorSchema('modelanalysis'),
    'run `npm run generate`',
  );
  t.equal(
    read('policies/src/generated/modelanalysis.validate.ts'),
    modelAnalysisValidatorSource(),
    'run `npm run generate`',
  );
});

t.test('the CRD schema is structural: every node typed, no const or propertyNames', async (t) => {
  const crd = parse(policyCrd());
  const problems: string[] = [];
  const walk = (n: any, p: string) => {
    if (n.type === undefined) problems.push(`${p}: no type`);
    for (const k of ['const', 'propertyNames', '$id']) if (k in n) problems.push(`${p}: ${k}`);
    if (n.properties && n.additionalProperties !== undefined)
      problems.push(`${p}: properties with additionalProperties`);
    for (const [k, v] of Object.entries(n.properties ?? {})) walk(v, `${p}.${k}`);
    if (n.items) walk(n.items, `${p}[]`);
    if (typeof n.additionalProperties === 'object') walk(n.additionalProperties, `${p}{}`);
  };
  walk(crd.spec.versions[0].schema.openAPIV3Schema, '');
  t.same(problems, []);
});

t.test('the editor schema accepts the examples and rejects a typo', async (t) => {
  const validate = new Ajv({ strict: false }).compile(JSON.parse(editorSchema('modelrelease')));
  const example = parse(read('deploy/examples/gitops/churn-canary/churn.modelrelease.yaml'));
  t.ok(validate(example), 'example is valid');
  t.notOk(
    validate({
      ...example,
      spec: { ...example.spec, canary: { ...example.spec.canary, trafic: 10 } },
    }),
    'typo rejected',
  );
});
