import t from 'tap';
import { kserveRules } from '@aviary/policies';

/**
 * One passing object and one case per failing branch of each code `kserveRules` can produce,
 * asserted by code and path. The objects are plain JSON, as admission receives them.
 */
type Obj = Record<string, unknown>;
const MODEL = { modelFormat: { name: 'sklearn' }, storageUri: 's3://models/iris/' };

function knative(spec: Obj = {}, meta: Obj = {}): Obj {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'iris', ...meta },
    spec: { predictor: { model: MODEL }, ...spec },
  };
}

function standard(canary: unknown, predictor: Obj = { name: 'stable', model: MODEL }): Obj {
  return knative(
    { predictor, canary },
    { annotations: { 'serving.kserve.io/deploymentMode': 'Standard' } },
  );
}

const canaryEntry = (name: string, trafficPercent: unknown = 10, extra: Obj = {}): Obj => ({
  trafficPercent,
  predictor: { name, model: MODEL, ...extra },
});

const found = (isvc: unknown, ns = 'ml') => kserveRules(isvc, ns).map((f) => [f.code, f.path]);

t.test('valid objects pass', async (t) => {
  t.same(found(knative()), []);
  t.same(found(standard([canaryEntry('candidate', 10), canaryEntry('other', 90)])), []);
  t.same(found(standard([])), [], 'an empty canary list needs no mode');
  t.same(found(knative({}, { namespace: 'ml' }), undefined), [], 'namespace from the object');
  t.same(
    found(knative({ predictor: { containers: [{ name: 'kserve-container', image: 'i@x' }] } })),
    [],
    'a custom container is the one implementation',
  );
  t.same(
    found(knative({ predictor: { model: MODEL, minReplicas: 3, maxReplicas: 0 } })),
    [],
    'maxReplicas 0 means no upper bound',
  );
  t.same(
    found(knative({ transformer: { containers: [{ name: 't', image: 'i@x' }] } })),
    [],
    'a transformer needs no predictor implementation',
  );
});

t.test('KSERVE_NOT_OBJECT', async (t) => {
  for (const v of [null, [], 'x', 1]) t.same(found(v), [['KSERVE_NOT_OBJECT', '']]);
});

t.test('KSERVE_NAME_INVALID', async (t) => {
  t.same(found(knative({}, { name: 'Iris_1' })), [['KSERVE_NAME_INVALID', 'metadata.name']]);
  t.same(found(knative({}, { name: 7 })), [['KSERVE_NAME_INVALID', 'metadata.name']]);
  t.same(found(standard([], { name: '1stable', model: MODEL })), [
    ['KSERVE_NAME_INVALID', 'spec.predictor.name'],
  ]);
  t.same(found(standard([canaryEntry('Cand')])), [
    ['KSERVE_NAME_INVALID', 'spec.canary[0].predictor.name'],
  ]);
});

t.test('KSERVE_NAME_TOO_LONG', async (t) => {
  // iris-predictor-<ns>: 15 + ns characters.
  t.same(found(knative(), 'n'.repeat(48)), []);
  t.same(found(knative(), 'n'.repeat(49)), [['KSERVE_NAME_TOO_LONG', 'metadata.name']]);
  const tagged = knative({}, { annotations: { 'serving.kserve.io/enable-tag-routing': 'true' } });
  t.same(found(tagged, 'n'.repeat(42)), [['KSERVE_NAME_TOO_LONG', 'metadata.name']], 'tag prefix');
  t.same(found(standard([], { name: 'p'.repeat(30), model: MODEL }), 'n'.repeat(20)), [
    ['KSERVE_NAME_TOO_LONG', 'spec.predictor.name'],
  ]);
});

t.test('KSERVE_MODE_NONCANONICAL', async (t) => {
  for (const mode of ['knative', 'RawDeployment', 1])
    t.same(found(knative({}, { annotations: { 'serving.kserve.io/deploymentMode': mode } })), [
      ['KSERVE_MODE_NONCANONICAL', 'metadata.annotations["serving.kserve.io/deploymentMode"]'],
    ]);
});

t.test('KSERVE_PREDICTOR_MISSING', async (t) => {
  t.same(found(knative({ predictor: undefined })), [
    ['KSERVE_PREDICTOR_MISSING', 'spec.predictor'],
  ]);
  t.same(found({ metadata: { name: 'iris' }, spec: { predictor: [] } }), [
    ['KSERVE_PREDICTOR_MISSING', 'spec.predictor'],
  ]);
});

t.test('KSERVE_IMPLEMENTATION_COUNT', async (t) => {
  for (const predictor of [
    {},
    { model: MODEL, sklearn: { storageUri: 's3://m/' } },
    { model: MODEL, containers: [{ name: 'c', image: 'i@x' }] },
  ])
    t.same(found(knative({ predictor })), [['KSERVE_IMPLEMENTATION_COUNT', 'spec.predictor']]);
  t.same(found(knative({ predictor: { containers: [] } })), [
    ['KSERVE_IMPLEMENTATION_COUNT', 'spec.predictor'],
  ]);
});

t.test('KSERVE_STABLE_IMPL_NAME', async (t) => {
  t.same(found(knative({ predictor: { model: { ...MODEL, name: 'm' } } })), [
    ['KSERVE_STABLE_IMPL_NAME', 'spec.predictor.model.name'],
  ]);
});

t.test('KSERVE_STORAGE_BOTH', async (t) => {
  t.same(found(knative({ predictor: { model: MODEL, storageUris: [] } })), [
    ['KSERVE_STORAGE_BOTH', 'spec.predictor.storageUris'],
  ]);
  const noUri = { modelFormat: MODEL.modelFormat };
  t.same(found(knative({ predictor: { model: noUri, storageUris: [] } })), [], 'one of them');
});

t.test('KSERVE_REPLICAS', async (t) => {
  const replicas = (r: Obj) => found(knative({ predictor: { model: MODEL, ...r } }));
  t.same(replicas({ minReplicas: -1 }), [['KSERVE_REPLICAS', 'spec.predictor.minReplicas']]);
  t.same(replicas({ maxReplicas: -1 }), [['KSERVE_REPLICAS', 'spec.predictor.maxReplicas']]);
  t.same(replicas({ minReplicas: 3, maxReplicas: 2 }), [
    ['KSERVE_REPLICAS', 'spec.predictor.minReplicas'],
  ]);
  t.same(found(knative({ explainer: { minReplicas: -1 } })), [
    ['KSERVE_REPLICAS', 'spec.explainer.minReplicas'],
  ]);
});

t.test('KSERVE_PYTHONPATH', async (t) => {
  const env = [{ name: 'A' }, { name: 'PYTHONPATH', value: '/x' }];
  t.same(found(knative({ predictor: { model: { ...MODEL, env } } })), [
    ['KSERVE_PYTHONPATH', 'spec.predictor.model.env[1]'],
  ]);
  t.same(found(knative({ transformer: { containers: [{ name: 't', image: 'i', env }] } })), [
    ['KSERVE_PYTHONPATH', 'spec.transformer.containers[0].env[1]'],
  ]);
  t.same(
    found(knative({ predictor: { model: { ...MODEL, env: [{ name: 'PATH' }, 'PYTHONPATH'] } } })),
    [],
    'another variable, or an entry that is no object',
  );
});

t.test('KSERVE_CANARY_INVALID', async (t) => {
  t.same(found(standard({})), [['KSERVE_CANARY_INVALID', 'spec.canary']], 'not a list');
  t.same(found(standard(['x'])), [['KSERVE_CANARY_INVALID', 'spec.canary[0]']], 'entry');
  t.same(found(standard([{ trafficPercent: 10 }])), [
    ['KSERVE_CANARY_INVALID', 'spec.canary[0].predictor'],
  ]);
});

t.test('KSERVE_CANARY_MODE', async (t) => {
  const entries = [canaryEntry('candidate')];
  t.same(found(knative({ predictor: { name: 'stable', model: MODEL }, canary: entries })), [
    ['KSERVE_CANARY_MODE', 'spec.canary'],
  ]);
  const isvc = standard(entries);
  (isvc['metadata'] as Obj)['annotations'] = { 'serving.kserve.io/deploymentMode': 'Knative' };
  t.same(found(isvc), [['KSERVE_CANARY_MODE', 'spec.canary']]);
});

t.test('KSERVE_TRAFFIC_RANGE', async (t) => {
  for (const pct of [101, -1, 12.5, '10', null])
    t.same(found(standard([canaryEntry('candidate', pct)])), [
      ['KSERVE_TRAFFIC_RANGE', 'spec.canary[0].trafficPercent'],
    ]);
});

t.test('KSERVE_CANARY_NAME', async (t) => {
  t.same(found(standard([{ trafficPercent: 10, predictor: { model: MODEL } }])), [
    ['KSERVE_CANARY_NAME', 'spec.canary[0].predictor.name'],
  ]);
  t.same(found(standard([canaryEntry('stable')])), [
    ['KSERVE_CANARY_NAME', 'spec.canary[0].predictor.name'],
  ]);
  t.same(found(standard([canaryEntry('a'), canaryEntry('a')])), [
    ['KSERVE_CANARY_NAME', 'spec.canary[1].predictor.name'],
  ]);
});

t.test('KSERVE_CANARY_FIELD', async (t) => {
  for (const field of ['workerSpec', 'maxReplicas', 'scaleTarget', 'scaleMetric', 'autoScaling'])
    t.same(found(standard([canaryEntry('candidate', 10, { [field]: 1 })])), [
      ['KSERVE_CANARY_FIELD', `spec.canary[0].predictor.${field}`],
    ]);
});

t.test('KSERVE_CANARY_REPLICAS', async (t) => {
  t.same(found(standard([canaryEntry('candidate', 10, { minReplicas: 2 })])), [
    ['KSERVE_CANARY_REPLICAS', 'spec.canary[0].predictor.minReplicas'],
  ]);
  const stable = { name: 'stable', model: MODEL, minReplicas: 2 };
  t.same(found(standard([canaryEntry('candidate', 10, { minReplicas: 2 })], stable)), []);
});

t.test('KSERVE_TRAFFIC_SUM', async (t) => {
  t.same(found(standard([canaryEntry('a', 60), canaryEntry('b', 50)])), [
    ['KSERVE_TRAFFIC_SUM', 'spec.canary'],
  ]);
});
