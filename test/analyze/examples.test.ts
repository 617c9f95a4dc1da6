import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parseYamlStream, validateModelRelease } from '@aviary/policies';
import { parseAnalysis } from '@aviary/policies/analysis';
import { runCli } from '../helpers/cli.js';
import { REPO } from '../helpers/paths.js';

/** The shipped examples: each analysis loads cleanly, and each release's rollout names one that does. */
const examples = path.join(REPO, 'deploy/examples/progressive-delivery');

t.test('every example ModelAnalysis loads without a diagnostic', async (t) => {
  const files = readdirSync(path.join(examples, 'analysis')).filter((f) => f.endsWith('.yaml'));
  t.ok(files.length >= 2, 'a Knative one and a runtime one');
  for (const f of files) {
    const rel = `analysis/${f}`;
    const { analysis, diagnostics } = parseAnalysis(
      readFileSync(path.join(examples, rel), 'utf8'),
      rel,
    );
    t.same(diagnostics, [], rel);
    t.ok(analysis !== undefined && analysis.metrics.length > 0, `${rel} has metrics`);
  }
});

t.test('example releases with a rollout name an analysis that exists', async (t) => {
  let seen = 0;
  for (const app of readdirSync(examples)) {
    if (app === 'analysis') continue;
    for (const f of readdirSync(path.join(examples, app)).filter((x) =>
      x.endsWith('.modelrelease.yaml'),
    )) {
      const file = `${app}/${f}`;
      const doc = parseYamlStream(readFileSync(path.join(examples, file), 'utf8'), file)
        .documents[0]!;
      const { release, diagnostics } = validateModelRelease(doc, file);
      t.same(diagnostics, [], file);
      const rollout = release?.spec.rollout;
      if (rollout === undefined) continue;
      seen++;
      const target = path.join(examples, app, rollout.analysis);
      t.ok(target.startsWith(`${examples}${path.sep}`), `${file}: inside the examples`);
      t.same(parseAnalysis(readFileSync(target, 'utf8'), rollout.analysis).diagnostics, [], file);
    }
  }
  t.equal(seen, 2, 'churn (Knative) and recommender (Standard)');
});

t.test('the worked example renders and passes the example policies', async (t) => {
  for (const file of [
    'knative/churn.modelrelease.yaml',
    'standard/recommender.modelrelease.yaml',
  ]) {
    const r = await runCli(
      [
        'check',
        '--policies',
        path.join(REPO, 'policies/catalog'),
        '--namespace',
        'ml-prod',
        path.join(examples, file),
      ],
      REPO,
    );
    t.equal(r.code, 0, `${file}: ${r.stdout}${r.stderr}`);
  }
});
