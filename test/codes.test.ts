import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { REPO } from './helpers/paths.js';

/** Every code the sources can emit is documented in the README's code table. */
t.test('the README documents every error and finding code', async (t) => {
  const files = execFileSync('git', ['ls-files', 'policies/src', 'plugin/src'], {
    cwd: REPO,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f.endsWith('.ts'));
  const codes = new Set<string>();
  const CODE =
    /['`"]((?:PIN|CANARY|SIG|SPEC|YAML|POLICY|EVIDENCE|STABLE|KSERVE|PARAM|USAGE|CHECK|TEST|VERIFY|REGEX|MODEL|OBJECT|IMAGE|TRUST|MLFLOW|RENDER)_[A-Z_]+)['`"]/g;
  for (const f of files)
    for (const m of readFileSync(`${REPO}/${f}`, 'utf8').matchAll(CODE)) codes.add(m[1]!);
  t.ok(codes.size > 50, `found ${codes.size} codes`);
  const readme = readFileSync(`${REPO}/README.md`, 'utf8');
  const table = readme.slice(
    readme.indexOf('## Error and finding codes'),
    readme.indexOf('## Development'),
  );
  const missing = [...codes].filter((c) => !table.includes(`\`${c}\``)).sort();
  t.same(missing, [], 'undocumented codes');
});
