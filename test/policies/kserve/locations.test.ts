import t from 'tap';
import { readModels, type DeploymentMode } from '../../../policies/src/kserve/locations.js';

type Obj = Record<string, unknown>;
const isvc = (spec: Obj, metadata: Obj = {}): Obj => ({ metadata, spec });
const read = (spec: Obj, mode: DeploymentMode = 'Knative', metadata: Obj = {}) => {
  const r = readModels(isvc(spec, metadata), mode);
  return {
    serving: Object.fromEntries(r.components.map((c) => [c.name, c.serving?.path ?? null])),
    locations: r.locations.map((l) => `${l.path}=${l.uri}`),
    problems: r.problems.map((p) => `${p.code}@${p.path}`),
    canaries: r.canaries.map((c) => c.model?.uri ?? null),
  };
};
const env = (value: unknown) => [
  { name: 'OTHER', value: 'x' },
  { name: 'STORAGE_URI', value },
];

t.test('each predictor implementation names its location', async (t) => {
  t.same(read({ predictor: { model: { storageUri: 's3://b/m/' } } }).locations, [
    'spec.predictor.model.storageUri=s3://b/m/',
  ]);
  t.same(read({ predictor: { xgboost: { storageUri: 'gs://b/m/' } } }).locations, [
    'spec.predictor.xgboost.storageUri=gs://b/m/',
  ]);
  t.same(
    read({
      predictor: { model: { storage: { path: '/m/1/', parameters: { type: 's3', bucket: 'b' } } } },
    }).locations,
    ['spec.predictor.model.storage.path=s3://b/m/1/'],
  );
  t.same(
    read({
      predictor: { model: { storage: { path: 'host/m.tgz', parameters: { type: 'https' } } } },
    }).locations,
    ['spec.predictor.model.storage.path=https://host/m.tgz'],
  );
  t.same(read({ predictor: { containers: [{ image: 'i', env: env('s3://b/c/') }] } }).locations, [
    'spec.predictor.containers[0].env[1].value=s3://b/c/',
  ]);
  t.same(
    read({
      predictor: {
        containers: [
          { name: 'sidecar', env: env('s3://b/decoy/') },
          { name: 'kserve-container', env: env('s3://b/c/') },
        ],
      },
    }).locations,
    ['spec.predictor.containers[1].env[1].value=s3://b/c/'],
    'the container named kserve-container, wherever it is',
  );
  t.same(
    read({ predictor: { storageUris: [{ uri: 's3://b/a/' }, { uri: 'pvc://claim/x' }] } })
      .locations,
    [
      'spec.predictor.storageUris[0].uri=s3://b/a/',
      'spec.predictor.storageUris[1].uri=pvc://claim/x',
    ],
  );
});

t.test('fields KServe ignores are never locations', async (t) => {
  const r = read({
    predictor: {
      model: { storageUri: 's3://b/m/', env: env('s3://b/decoy1/') },
      containers: [{ name: 'sidecar', env: env('s3://b/decoy2/') }],
      workerSpec: { containers: [{ env: env('s3://b/decoy3/') }] },
      extra: { storageUri: 's3://b/decoy4/' },
    },
    explainer: { art: { storageUri: 's3://b/art/', storage: { path: 'decoy5' } } },
  });
  t.same(r.locations, [
    'spec.predictor.model.storageUri=s3://b/m/',
    'spec.explainer.art.storageUri=s3://b/art/',
  ]);
  t.same(r.problems, []);
});

t.test('the serving location follows KServe, not key order', async (t) => {
  // A framework key is folded over `model` by the defaulter; a model that still names its own
  // location conflicts with it.
  t.same(
    read({ predictor: { sklearn: { storageUri: 's3://b/a/' }, model: { modelFormat: {} } } })
      .serving,
    {
      predictor: 'spec.predictor.sklearn.storageUri',
    },
  );
  t.same(
    read({
      predictor: { model: { storageUri: 's3://b/b/' }, sklearn: { storageUri: 's3://b/a/' } },
    }).problems,
    ['MODEL_LOCATION_CONFLICT@spec.predictor'],
  );
});

t.test('two locations in one component are a conflict', async (t) => {
  const table: [string, Obj, string][] = [
    [
      'storageUri and storage.path',
      { predictor: { model: { storageUri: 's3://b/a/', storage: { path: 'x' } } } },
      'MODEL_LOCATION_CONFLICT@spec.predictor.model',
    ],
    [
      'a single location and storageUris',
      { predictor: { model: { storageUri: 's3://b/a/' }, storageUris: [{ uri: 's3://b/b/' }] } },
      'MODEL_LOCATION_CONFLICT@spec.predictor',
    ],
    [
      'two framework keys',
      { predictor: { sklearn: { storageUri: 's3://b/a/' }, onnx: { storageUri: 's3://b/b/' } } },
      'MODEL_LOCATION_CONFLICT@spec.predictor',
    ],
    [
      'model and a kserve-container',
      {
        predictor: {
          model: { storageUri: 's3://b/a/' },
          containers: [{ name: 'kserve-container', env: env('s3://b/b/') }],
        },
      },
      'MODEL_LOCATION_CONFLICT@spec.predictor',
    ],
    [
      'explainer art and container',
      {
        predictor: {},
        explainer: { art: { storageUri: 's3://b/a/' }, containers: [{ env: env('s3://b/b/') }] },
      },
      'MODEL_LOCATION_CONFLICT@spec.explainer',
    ],
    [
      'transformer env and storageUris',
      {
        predictor: {},
        transformer: {
          containers: [{ env: env('s3://b/a/') }],
          storageUris: [{ uri: 's3://b/b/' }],
        },
      },
      'MODEL_LOCATION_CONFLICT@spec.transformer',
    ],
  ];
  for (const [name, spec, problem] of table) t.same(read(spec).problems, [problem], name);
});

t.test('locations that cannot be read exactly are problems', async (t) => {
  t.same(read({ predictor: { model: { storageUri: 42 } } }).problems, [
    'MODEL_URI_INVALID@spec.predictor.model.storageUri',
  ]);
  t.same(read({ predictor: { model: { storageUri: '' } } }).problems, [
    'MODEL_URI_INVALID@spec.predictor.model.storageUri',
  ]);
  t.same(
    read({
      predictor: {
        containers: [{ env: [{ name: 'STORAGE_URI', valueFrom: { configMapKeyRef: {} } }] }],
      },
    }).problems,
    ['MODEL_URI_INVALID@spec.predictor.containers[0].env[0].value'],
  );
  t.same(read({ predictor: { model: { storage: { path: 'm/1/' } } } }).problems, [
    'MODEL_LOCATION_UNKNOWN@spec.predictor.model.storage.path',
  ]);
  t.same(
    read({ predictor: { model: { storage: { path: 'm/1/', parameters: { type: 's3' } } } } })
      .problems,
    ['MODEL_LOCATION_UNKNOWN@spec.predictor.model.storage.path'],
  );
  t.same(read({ predictor: { storageUris: 's3://b/a/' } }).problems, [
    'MODEL_URI_INVALID@spec.predictor.storageUris',
  ]);
  t.same(
    read({
      predictor: {
        model: { storageUri: 's3://b/a/' },
        annotations: { 'internal.serving.kserve.io/storage-spec': 'true' },
      },
    }).problems,
    [
      'MODEL_LOCATION_OVERRIDE@spec.predictor.annotations["internal.serving.kserve.io/storage-spec"]',
    ],
  );
  t.same(
    read({ predictor: { model: { storageUri: 's3://b/a/' } } }, 'Knative', {
      labels: { 'internal.serving.kserve.io/localmodel': 'x' },
    }).problems,
    ['MODEL_LOCATION_OVERRIDE@metadata.labels["internal.serving.kserve.io/localmodel"]'],
  );
});

t.test('canary entries exist only in the Standard reading, merged over the stable', async (t) => {
  const spec = {
    predictor: { model: { storageUri: 's3://b/stable/' } },
    canary: [
      { trafficPercent: 10, predictor: { name: 'a', model: { storageUri: 's3://b/a/' } } },
      { trafficPercent: 0, predictor: { name: 'b', model: { modelFormat: { name: 'x' } } } },
      {
        trafficPercent: 0,
        predictor: { name: 'c', model: { storageUri: '' }, storageUris: [{ uri: 's3://decoy/' }] },
      },
    ],
  };
  t.same(read(spec, 'Knative').canaries, []);
  t.same(read(spec, 'Knative').locations, ['spec.predictor.model.storageUri=s3://b/stable/']);
  const standard = read(spec, 'Standard');
  t.same(standard.canaries, ['s3://b/a/', 's3://b/stable/', 's3://b/stable/']);
  t.same(standard.locations, [
    'spec.predictor.model.storageUri=s3://b/stable/',
    'spec.canary[0].predictor.model.storageUri=s3://b/a/',
  ]);
  t.same(
    read(
      {
        predictor: { model: { storageUri: 's3://b/s/' } },
        canary: [{ predictor: { name: 'a', sklearn: { storageUri: 's3://b/a/' } } }],
      },
      'Standard',
    ).problems,
    ['MODEL_LOCATION_CONFLICT@spec.canary[0].predictor'],
    'a framework key over a stable model',
  );
  t.same(
    read(
      {
        predictor: { model: { storageUri: 's3://b/s/' } },
        canary: [
          {
            predictor: { name: 'a', model: { storage: { path: 'x', parameters: { type: 'gs' } } } },
          },
        ],
      },
      'Standard',
    ).problems,
    ['MODEL_LOCATION_CONFLICT@spec.canary[0].predictor.model'],
    'storage.path over an inherited storageUri',
  );
});

t.test('canaryTrafficPercent is a share only in the Knative reading', async (t) => {
  const spec = { predictor: { canaryTrafficPercent: 10, model: { storageUri: 's3://b/a/' } } };
  t.same(readModels(isvc(spec), 'Knative').components[0]?.share, {
    path: 'spec.predictor.canaryTrafficPercent',
    value: 10,
  });
  t.equal(readModels(isvc(spec), 'Standard').components[0]?.share, undefined);
});

t.test('storage parameters in a canary move the inherited storage.path', async (t) => {
  // Found by the property suite: KServe merges the entry's parameters over the stable storage spec.
  const spec = {
    predictor: { sklearn: { storage: { path: 'm/1/', parameters: { type: 's3', bucket: 'ok' } } } },
    canary: [
      {
        trafficPercent: 10,
        predictor: { name: 'c0', model: { storage: { parameters: { bucket: 'evil' } } } },
      },
      {
        trafficPercent: 0,
        predictor: { name: 'c1', model: { storage: { parameters: { type: 'gs' } } } },
      },
      { trafficPercent: 0, predictor: { name: 'c2', model: { storage: { key: 'other-creds' } } } },
    ],
  };
  const r = read(spec, 'Standard');
  t.same(r.canaries, ['s3://evil/m/1/', 'gs://m/1/', 's3://ok/m/1/']);
  t.same(r.locations, [
    'spec.predictor.sklearn.storage.path=s3://ok/m/1/',
    'spec.canary[0].predictor.model.storage.path=s3://evil/m/1/',
    'spec.canary[1].predictor.model.storage.path=gs://m/1/',
  ]);
});

t.test('internal keys are refused wherever KServe copies them onto pods', async (t) => {
  const LOCAL = 'internal.serving.kserve.io/localmodel';
  const PARAM = 'internal.serving.kserve.io/storage-spec-param';
  const withCanaries = (...entries: Obj[]): Obj => ({
    predictor: { name: 's', model: { storageUri: 's3://b/s/' } },
    canary: entries.map((predictor, i) => ({
      trafficPercent: 10,
      predictor: { name: `c${i}`, ...predictor },
    })),
  });
  // buildCanaryPredictor merges an entry's labels and annotations over the stable's, onto its pods.
  const spec = withCanaries(
    { labels: { team: 'a' }, annotations: { 'example.com/x': 'y' } },
    { labels: { [LOCAL]: 'cache' }, annotations: { [PARAM]: '{"type":"s3"}' } },
  );
  // Both readings: KServe refuses spec.canary outside Standard, so refusing there costs nothing.
  for (const mode of ['Standard', 'Knative'] as const)
    t.same(
      read(spec, mode).problems,
      [
        `MODEL_LOCATION_OVERRIDE@spec.canary[1].predictor.labels["${LOCAL}"]`,
        `MODEL_LOCATION_OVERRIDE@spec.canary[1].predictor.annotations["${PARAM}"]`,
      ],
      `canary labels and annotations, ${mode} reading`,
    );
  t.same(
    read(withCanaries({ labels: { team: 'a' }, annotations: { 'example.com/x': 'y' } }), 'Standard')
      .problems,
    [],
    'other keys on a canary pass',
  );
  t.same(
    read({
      predictor: { model: { storageUri: 's3://b/s/' } },
      transformer: { labels: { [LOCAL]: 'x' }, containers: [{ image: 't' }] },
      explainer: { annotations: { [PARAM]: '{}' }, art: { type: 'AnchorTabular' } },
    }).problems,
    [
      `MODEL_LOCATION_OVERRIDE@spec.transformer.labels["${LOCAL}"]`,
      `MODEL_LOCATION_OVERRIDE@spec.explainer.annotations["${PARAM}"]`,
    ],
  );
});

t.test("a serving runtime's pod labels and annotations may not carry internal keys", async (t) => {
  const PARAM = 'internal.serving.kserve.io/storage-spec-param';
  const AGENT = 'internal.serving.kserve.io/agent';
  const LOCAL = 'internal.serving.kserve.io/localmodel';
  const runtime = (kind: string, spec: Obj, metadata: Obj = {}) =>
    readModels({ kind, metadata: { name: 'r', ...metadata }, spec }, 'Knative').problems.map(
      (p) => `${p.code}@${p.path}`,
    );
  const containers = [
    { name: 'kserve-container', image: 'kserve/sklearnserver@sha256:' + 'a'.repeat(64) },
  ];
  for (const kind of ['ServingRuntime', 'ClusterServingRuntime']) {
    // KServe puts spec.labels/annotations on every predictor pod the runtime serves, and the
    // workerSpec's on its worker pods (components/predictor.go buildObjectMeta, reconcileWorker).
    t.same(
      runtime(kind, {
        containers,
        labels: { [LOCAL]: 'cache' },
        annotations: { 'prometheus.kserve.io/port': '8080', [PARAM]: '{"type":"s3"}' },
        workerSpec: {
          containers,
          labels: { [LOCAL]: 'cache' },
          annotations: { [AGENT]: 'true' },
        },
      }),
      [
        `MODEL_LOCATION_OVERRIDE@spec.labels["${LOCAL}"]`,
        `MODEL_LOCATION_OVERRIDE@spec.annotations["${PARAM}"]`,
        `MODEL_LOCATION_OVERRIDE@spec.workerSpec.labels["${LOCAL}"]`,
        `MODEL_LOCATION_OVERRIDE@spec.workerSpec.annotations["${AGENT}"]`,
      ],
      kind,
    );
    t.same(
      runtime(
        kind,
        { containers, annotations: { 'prometheus.kserve.io/port': '8080' } },
        // The runtime's own metadata is never copied onto pods.
        { annotations: { [PARAM]: '{}' } },
      ),
      [],
      `${kind}: other keys, and its own metadata, pass`,
    );
  }
  t.same(
    readModels(
      { kind: 'TrainedModel', metadata: { labels: { [LOCAL]: 'x' } }, spec: { model: {} } },
      'Knative',
    ).problems,
    [],
    "a TrainedModel's metadata reaches no pod",
  );
});
