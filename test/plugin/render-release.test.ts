import t from 'tap';
import { ARTIFACT_LABEL, kserveRules, type ModelRelease } from '@aviary/policies';
import { createEngine } from '@aviary/policies/engine';
import { emitYamlStream, renderRelease } from '@aviary/plugin';
import { policies, policy } from '../helpers/isvc.js';

/**
 * The predictor's `aviary.dev/artifact` pod label in both modes, and the promotion contract it must
 * keep: in Knative mode the promoted predictor is byte-identical to the canary's latest revision, so
 * KServe creates no new revision. `rollout` and `source` never reach the InferenceService.
 */

type Obj = Record<string, any>;
const D1 = `sha256:1111aaaa2222${'a'.repeat(52)}`;
const D2 = `sha256:3333bbbb4444${'b'.repeat(52)}`;
const V1 = { uri: 's3://ok/fraud/1/', digest: D1, source: 'models:/fraud/1' };
const V2 = { uri: 's3://ok/fraud/2/', digest: D2, source: 'models:/fraud/2' };
const ROLLOUT = { steps: [5, 25, 50], analysis: '../analysis/errors.yaml' };
type Mode = 'Knative' | 'Standard';

function release(
  mode: Mode,
  stable: ModelRelease['spec']['stable'],
  canary?: ModelRelease['spec']['canary'],
  extra: Partial<ModelRelease['spec']> = { rollout: ROLLOUT },
  labels?: Record<string, string>,
): ModelRelease {
  return {
    apiVersion: 'aviary.dev/v1alpha1',
    kind: 'ModelRelease',
    metadata: { name: 'fraud', ...(labels ? { labels } : {}) },
    spec: {
      model: { format: 'sklearn' },
      deployment: { mode, minReplicas: 1 },
      stable,
      ...(canary ? { canary } : {}),
      ...extra,
    },
  };
}

const render = (r: ModelRelease): Obj =>
  renderRelease({ release: r, bundles: {}, defaultMode: 'Knative' });
const yaml = (o: unknown) => emitYamlStream([o]);
const label = (digest: string) => ({ [ARTIFACT_LABEL]: digest.slice(7, 19) });

t.test('Knative: the one predictor carries the label of the artifact it runs', async (t) => {
  const stableOnly = render(release('Knative', V1));
  t.same(stableOnly['spec'].predictor.labels, label(D1));
  t.same(label(D1), { 'aviary.dev/artifact': '1111aaaa2222' });

  const canary = render(release('Knative', V1, { ...V2, traffic: 25 }));
  t.same(canary['spec'].predictor.labels, label(D2), 'the canary is the latest revision');
  t.equal(canary['spec'].predictor.model.storageUri, V2.uri);

  const rolledBack = render(release('Knative', V1, { ...V2, traffic: 0 }));
  t.equal(
    yaml(rolledBack['spec'].predictor),
    yaml({ ...canary['spec'].predictor, canaryTrafficPercent: 0 }),
    'traffic 0 only moves traffic: the same revision',
  );
});

t.test('Standard: the stable predictor and each canary predictor carry their own', async (t) => {
  const o = render(release('Standard', V1, { ...V2, traffic: 5 }));
  t.same(o['spec'].predictor.labels, label(D1));
  t.equal(o['spec'].canary.length, 1);
  t.same(o['spec'].canary[0].predictor.labels, label(D2));
  t.equal(o['spec'].predictor.canaryTrafficPercent, undefined);
  t.same(render(release('Standard', V1))['spec'].predictor.labels, label(D1));
});

t.test('Knative promotion: same predictor, labels included, so no new revision', async (t) => {
  const promoted = render(release('Knative', V2));
  for (const traffic of [...ROLLOUT.steps, 100]) {
    const running = render(release('Knative', V1, { ...V2, traffic }));
    const { canaryTrafficPercent, ...latestRevision } = running['spec'].predictor as Obj;
    t.equal(canaryTrafficPercent, traffic);
    t.equal(
      yaml(promoted['spec'].predictor),
      yaml(latestRevision),
      `canary at ${traffic}% → promoted`,
    );
    t.same(promoted['metadata'].labels, running['metadata'].labels);
    const others = (o: Obj) =>
      Object.entries(o['metadata'].annotations as Record<string, string>).filter(
        ([k]) => k !== 'aviary.dev/artifacts' && k !== 'aviary.dev/stable',
      );
    t.same(others(promoted), others(running), 'only the two aviary.dev annotations change');
  }
});

t.test('Standard promotion: the stable takes the canary name, label and model', async (t) => {
  const running = render(release('Standard', V1, { ...V2, traffic: 50 }));
  const promoted = render(release('Standard', V2));
  const candidate = running['spec'].canary[0].predictor;
  t.equal(promoted['spec'].predictor.name, candidate.name);
  t.same(promoted['spec'].predictor.labels, candidate.labels);
  t.equal(promoted['spec'].predictor.model.storageUri, candidate.model.storageUri);
});

t.test('user labels stay on the InferenceService; the predictor holds only Aviary’s', async (t) => {
  for (const mode of ['Knative', 'Standard'] as const) {
    const o = render(
      release(mode, V1, { ...V2, traffic: 5 }, { rollout: ROLLOUT }, { team: 'risk', app: 'f' }),
    );
    t.same(Object.keys(o['metadata'].labels), ['app', 'team'], `${mode}: sorted`);
    t.same(Object.keys(o['spec'].predictor.labels), [ARTIFACT_LABEL], mode);
  }
});

t.test('rollout and source change nothing in the InferenceService', async (t) => {
  const bare = (a: typeof V1) => ({ uri: a.uri, digest: a.digest });
  for (const mode of ['Knative', 'Standard'] as const) {
    for (const traffic of [undefined, 0, 25]) {
      const canary = (a: { uri: string; digest: string }) =>
        traffic === undefined ? undefined : { ...a, traffic };
      const full = render(
        release(mode, V1, canary(V2), { rollout: { ...ROLLOUT, onFailure: 'hold' } }),
      );
      const plain = render(release(mode, bare(V1), canary(bare(V2)), {}));
      t.equal(yaml(full), yaml(plain), `${mode}, canary ${traffic ?? 'none'}`);
    }
  }
});

t.test('the KServe rules and the policy engine admit the labelled objects', async (t) => {
  const engine = createEngine({
    policies: policies(
      policy('pin', 'pinning:\n  allowedSchemes: [s3]\n  allowedPrefixes: ["s3://ok/"]') +
        policy('canary', 'canary:\n  steps: [0, 5, 25, 50]\n  maxIncrease: 25'),
    ),
  });
  for (const mode of ['Knative', 'Standard'] as const) {
    const sequence = [
      render(release(mode, V1)),
      ...ROLLOUT.steps.map((traffic) => render(release(mode, V1, { ...V2, traffic }))),
      render(release(mode, V2)),
    ];
    sequence.forEach((object, i) => {
      t.same(kserveRules(object, 'ml'), [], `${mode} #${i}: KServe rules`);
      const d = engine.evaluate({
        operation: i === 0 ? 'CREATE' : 'UPDATE',
        namespace: 'ml',
        namespaceLabels: {},
        object,
        ...(i === 0 ? {} : { oldObject: sequence[i - 1] }),
      });
      t.same(d.violations, [], `${mode} #${i}: admitted`);
      t.ok(d.allowed);
    });
  }
});
