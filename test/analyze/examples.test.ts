import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parseYamlStream, validateModelRelease } from '@aviary/policies';
import { parseAnalysis } from '@aviary/policies/analysis';
import { REPO } from '../helpers/paths.js';

/** The shipped examples: each analysis loads cleanly, and each release's rollout names one that does. */
const gitops = path.join(REPO, 'deploy/examples/gitops');

t.test('every example ModelAnalysis loads without a diagnostic', async (t) => {
  const files = readdirSync(path.join(gitops, 'analysis')).filter((f) => f.endsWith('.yaml'));
  t.ok(files.length >= 2, 'a Knative one and a runtime one');
  for (const f of files) {
    const rel = `analysis/${f}`;
    const { analysis, diagnostics } = parseAnalysis(
      readFileSync(path.join(gitops, rel), 'utf8'),
      rel,
    );
    t.same(diagnostics, [], rel);
    t.ok(analysis !== undefined && analysis.metrics.length > 0, `${rel} has metrics`);
  }
});

t.test('example releases with a rollout name an analysis that exists', async (t) => {
  let seen = 0;
  for (const app of readdirSync(gitops)) {
    if (!app.includes('-')) continue;
    for (const f of readdirSync(path.join(gitops, app)).filter((x) =>
      x.endsWith('.modelrelease.yaml'),
    )) {
      const file = `${app}/${f}`;
      const doc = parseYamlStream(readFileSync(path.join(gitops, file), 'utf8'), file)
        .documents[0]!;
      const { release, diagnostics } = validateModelRelease(doc, file);
      t.same(diagnostics, [], file);
      const rollout = release?.spec.rollout;
      if (rollout === undefined) continue;
      seen++;
      const target = path.join(gitops, app, rollout.analysis);
      t.ok(target.startsWith(`${gitops}${path.sep}`), `${file}: inside the examples`);
      t.same(parseAnalysis(readFileSync(target, 'utf8'), rollout.analysis).diagnostics, [], file);
    }
  }
  t.equal(seen, 2, 'churn-canary (Knative) and recommender-standard (Standard)');
});
