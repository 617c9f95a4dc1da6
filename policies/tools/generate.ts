// Writes the published schemas and the policy CRD from their single sources. `npm run generate`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  editorSchema,
  modelAnalysisValidatorSource,
  modelReleaseValidatorSource,
  policyCrd,
} from './publish.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const outputs: [string, string][] = [
  ['policies/schemas/modelrelease.schema.json', editorSchema('modelrelease')],
  ['policies/schemas/modelreleasepolicy.schema.json', editorSchema('modelreleasepolicy')],
  ['deploy/webhook/crd/modelreleasepolicies.aviary.dev.yaml', policyCrd()],
  ['policies/src/generated/modelrelease.validate.ts', modelReleaseValidatorSource()],
  ['policies/schemas/modelanalysis.schema.json', editorSchema('modelanalysis')],
  ['policies/src/generated/modelanalysis.validate.ts', modelAnalysisValidatorSource()],
  // kustomize only reads files under the kustomization, so the shipped root is copied there.
  [
    'deploy/webhook/trust/public-good.json',
    readFileSync(path.join(repo, 'policies/trust/public-good.json'), 'utf8'),
  ],
];
for (const [rel, text] of outputs) {
  mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
  writeFileSync(path.join(repo, rel), text);
  process.stdout.write(`wrote ${rel}\n`);
}
