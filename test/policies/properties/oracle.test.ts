import t from 'tap';
import { locate, readings } from './kserve-oracle.js';

/** The oracle on hand-picked objects whose KServe v0.20.0 outcome the notes confirm in code. */

const isvc = (spec: Record<string, unknown>, mode?: string) => ({
  metadata: { annotations: mode ? { 'serving.kserve.io/deploymentMode': mode } : {} },
  spec,
});
const env = (uri: string) => [{ name: 'STORAGE_URI', value: uri }];
const at = (object: unknown, mode: 'Knative' | 'Standard' = 'Knative') => {
  const l = locate(object, mode);
  return { uris: l.downloads.map((x) => `${x.where}=${x.uri}`), problems: l.problems.length };
};

t.test('deployment mode', async (t) => {
  t.same(readings(isvc({}, 'Serverless')), ['Knative']);
  t.same(readings(isvc({}, 'RawDeployment')), ['Standard']);
  t.same(
    readings(isvc({}, 'standard')),
    ['Knative', 'Standard'],
    'case-sensitive: cluster default',
  );
  t.same(readings(isvc({}, 'ModelMesh'), 'Standard'), ['Standard']);
});

t.test('predictor precedence', async (t) => {
  // The defaulter overwrites `model` with the legacy block: s3://b/ downloads, and it is ambiguous.
  t.same(
    at(
      isvc({ predictor: { model: { storageUri: 's3://a/' }, sklearn: { storageUri: 's3://b/' } } }),
    ),
    {
      uris: ['predictor=s3://b/'],
      problems: 1,
    },
  );
  t.same(
    at(isvc({ predictor: { sklearn: {}, model: { storageUri: 's3://a/' } } })).uris,
    [],
    'model lost',
  );
  t.same(at(isvc({ predictor: { containers: [{ name: 'main', env: env('s3://c/') }] } })).uris, [
    'predictor=s3://c/',
  ]);
  t.same(
    at(isvc({ predictor: { containers: [{ name: 'main', env: env('s3://c/') }, { name: 'p' }] } }))
      .uris,
    [],
  );
  t.same(
    at(
      isvc({
        predictor: {
          model: { storage: { path: '/m/1/', parameters: { type: 's3', bucket: 'b' } } },
        },
      }),
    ).uris,
    ['predictor=s3://b/m/1/'],
  );
  t.same(
    at(isvc({ predictor: { model: { storage: { path: 'm/1/' } } } })).problems,
    1,
    'type from a secret',
  );
});

t.test('transformer and explainer', async (t) => {
  const spec = {
    predictor: { model: { storageUri: 's3://a/' } },
    transformer: { containers: [{ name: 'x', env: env('s3://t/') }, { env: env('s3://u/') }] },
    explainer: {
      art: {
        storageUri: 's3://e/',
        storage: { path: 'x/', parameters: { type: 's3', bucket: 'z' } },
      },
    },
  };
  t.same(at(isvc(spec)).uris, ['predictor=s3://a/', 'transformer=s3://t/', 'explainer=s3://e/']);
});

t.test('canary entries: Standard only, merged over the stable predictor', async (t) => {
  const stable = { name: 's', model: { modelFormat: { name: 'sklearn' }, storageUri: 's3://a/' } };
  const entry = (predictor: Record<string, unknown>) =>
    isvc({
      predictor: stable,
      canary: [{ trafficPercent: 10, predictor: { name: 'c', ...predictor } }],
    });
  t.same(at(entry({ model: { storageUri: 's3://b/' } }), 'Knative').uris, ['predictor=s3://a/']);
  t.same(
    at(
      entry({ model: { modelFormat: { name: 'sklearn' } }, storageUris: [{ uri: 's3://x/' }] }),
      'Standard',
    ).uris,
    ['predictor=s3://a/', 'canary[0]=s3://a/'],
  );
  // A legacy key in an entry is not defaulted: GetImplementations puts it before `model`.
  t.same(at(entry({ xgboost: { storageUri: 's3://b/' } }), 'Standard'), {
    uris: ['predictor=s3://a/', 'canary[0]=s3://b/'],
    problems: 1,
  });
  const pathStable = {
    name: 's',
    model: { storage: { path: 'm/', parameters: { type: 's3', bucket: 'ok' } } },
  };
  const params = isvc({
    predictor: pathStable,
    canary: [
      {
        trafficPercent: 10,
        predictor: { name: 'c', model: { storage: { parameters: { bucket: 'evil' } } } },
      },
    ],
  });
  t.same(
    at(params, 'Standard').uris,
    ['predictor=s3://ok/m/', 'canary[0]=s3://evil/m/'],
    'maps merge key by key',
  );
});
