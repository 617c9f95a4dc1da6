import t from 'tap';
import { createEngine, type Decision, type SignatureCheck } from '@aviary/policies/engine';
import { digestOf, isvc as build, policies, policy, type IsvcOptions } from '../../helpers/isvc.js';

type Obj = Record<string, any>;
const isvc = (o: IsvcOptions): Obj => build(o);
const STRICT_CANARY = 'canary:\n  requireCanary: true\n  steps: [0, 10, 20, 50]\n  maxIncrease: 20';

function evaluate(
  policyText: string,
  object: Obj,
  oldObject?: Obj,
  verifier?: SignatureCheck,
): Decision {
  return createEngine({
    policies: policies(policyText),
    ...(verifier ? { verifierFor: () => verifier } : {}),
  }).evaluate({
    object,
    ...(oldObject ? { oldObject } : {}),
    operation: oldObject ? 'UPDATE' : 'CREATE',
    namespace: 'ml',
    namespaceLabels: {},
  });
}
const codes = (d: Decision) => d.violations.map((f) => `${f.code}@${f.path}`).sort();
const withoutMode = (o: Obj): Obj => {
  delete o['metadata'].annotations['serving.kserve.io/deploymentMode'];
  return o;
};
const s1 = 's3://ok/m/1/';
const s2 = 's3://ok/m/2/';
const s3 = 's3://ok/m/3/';

t.test(
  'class 2: a decoy placed first in key order does not decide the serving artifact',
  async (t) => {
    const policyText = policy('c', STRICT_CANARY);
    const old = isvc({ uri: s1, stable: s1 });
    // KServe serves model.storageUri; the env STORAGE_URI of the model container is ignored.
    const decoyFirst = isvc({ uri: s3, stable: s3 });
    decoyFirst['spec'].predictor.model = {
      env: [{ name: 'STORAGE_URI', value: s1 }],
      ...decoyFirst['spec'].predictor.model,
    };
    t.same(codes(evaluate(policyText, decoyFirst, old)), [
      'CANARY_REQUIRED@spec.predictor.canaryTrafficPercent',
    ]);
    const sidecarFirst = isvc({ uri: s3, stable: s3 });
    sidecarFirst['spec'].predictor = {
      containers: [{ name: 'logger', env: [{ name: 'STORAGE_URI', value: s1 }] }],
      ...sidecarFirst['spec'].predictor,
    };
    t.same(codes(evaluate(policyText, sidecarFirst, old)), [
      'CANARY_REQUIRED@spec.predictor.canaryTrafficPercent',
    ]);
  },
);

t.test('class 3: a share KServe ignores never counts as a step', async (t) => {
  const policyText = policy('c', STRICT_CANARY);
  const old = isvc({ uri: s1, stable: s1, mode: 'Standard' });
  const ignoredShare = isvc({ uri: s2, canary: 10, stable: s1, mode: 'Standard' });
  t.same(codes(evaluate(policyText, ignoredShare, old)), [
    'CANARY_REQUIRED@spec.predictor',
    'STABLE_RECORD_UNKNOWN@metadata.annotations["aviary.dev/stable"]',
  ]);
  t.same(
    codes(
      evaluate(
        policyText,
        isvc({ uri: s2, canary: 10, stable: s1 }),
        isvc({ uri: s1, stable: s1 }),
      ),
    ),
    [],
    'the same object in Knative mode steps correctly',
  );
});

t.test(
  'class 3: without a mode annotation the policy default decides, else both readings',
  async (t) => {
    const old = withoutMode(isvc({ uri: s1, stable: s1 }));
    const step = withoutMode(isvc({ uri: s2, canary: 10, stable: s1 }));
    const knative = policy('c', `defaultDeploymentMode: Knative\n${STRICT_CANARY}`);
    const standard = policy('c', `defaultDeploymentMode: Standard\n${STRICT_CANARY}`);
    const unknown = policy('c', STRICT_CANARY);
    t.same(codes(evaluate(knative, step, old)), [], 'cluster default Knative: the share applies');
    t.same(codes(evaluate(standard, step, old)), [
      'CANARY_REQUIRED@spec.predictor',
      'STABLE_RECORD_UNKNOWN@metadata.annotations["aviary.dev/stable"]',
    ]);
    t.same(
      codes(evaluate(unknown, step, old)),
      [
        'CANARY_REQUIRED@spec.predictor',
        'STABLE_RECORD_UNKNOWN@metadata.annotations["aviary.dev/stable"]',
      ],
      'unknown: the stricter reading',
    );
    const legacy = isvc({
      uri: s2,
      canary: 10,
      stable: s1,
      extraAnnotations: { 'serving.kserve.io/deploymentMode': 'RawDeployment' },
    });
    t.same(
      codes(evaluate(knative, legacy, old)),
      [
        'CANARY_REQUIRED@spec.predictor',
        'STABLE_RECORD_UNKNOWN@metadata.annotations["aviary.dev/stable"]',
      ],
      'RawDeployment is Standard',
    );
    t.same(
      codes(
        evaluate(
          standard,
          isvc({
            uri: s2,
            canary: 10,
            stable: s1,
            extraAnnotations: { 'serving.kserve.io/deploymentMode': 'Serverless' },
          }),
          isvc({ uri: s1, stable: s1 }),
        ),
      ),
      [],
      'Serverless is Knative',
    );
  },
);

t.test('class 3: spec.canary does not count in Knative mode', async (t) => {
  // KServe refuses spec.canary outside Standard mode; a Knative object changing its model with a
  // canary entry is a new artifact at 100 %.
  const next = isvc({
    uri: s2,
    stable: s2,
    canaries: [{ name: 'c', uri: s2, traffic: 10 }],
    mode: 'Knative',
  });
  t.same(codes(evaluate(policy('c', STRICT_CANARY), next, isvc({ uri: s1, stable: s1 }))), [
    'CANARY_REQUIRED@spec.predictor.canaryTrafficPercent',
  ]);
});

/** One policy per rule, each with nothing else configured, and a verifier that accepts. */
const EVERY_RULE: [string, string][] = [
  ['pinning', 'pinning: {}'],
  [
    'signatures',
    'signatures:\n  required: true\n  authorities:\n    - name: k\n      key: { publicKey: "x" }',
  ],
  ['canary', 'canary: { maxTrafficPercent: 50 }'],
];
const verifier: SignatureCheck = { verify: () => ({ ok: true, authority: 'a', signer: 's' }) };

t.test('class 4: what cannot be inspected is denied by every rule', async (t) => {
  const tooDeep = isvc({ uri: s1 });
  let node: Obj = {};
  tooDeep['spec'].predictor.model.extra = node;
  for (let i = 0; i < 100; i++) node = node['x'] = {};
  const conflict = isvc({ uri: s1 });
  conflict['spec'].predictor.sklearn = { storageUri: s2 };
  const signed = isvc({ uri: s1, evidence: [{ uri: s1, digest: digestOf(s1), bundle: {} }] });
  for (const [rule, text] of EVERY_RULE) {
    t.same(
      codes(evaluate(policy('p', text), tooDeep, undefined, verifier)),
      ['OBJECT_UNINSPECTABLE@spec'],
      rule,
    );
    t.same(
      codes(evaluate(policy('p', text), conflict, undefined, verifier)),
      ['MODEL_LOCATION_CONFLICT@spec.predictor'],
      rule,
    );
    t.same(
      codes(evaluate(policy('p', text), signed, undefined, verifier)),
      [],
      `${rule}: a readable object passes`,
    );
  }
});

t.test(
  'class 4: an internal key on a canary entry or a runtime is denied by every rule',
  async (t) => {
    const PARAM = 'internal.serving.kserve.io/storage-spec-param';
    const signed = (o: IsvcOptions) =>
      isvc({
        ...o,
        evidence: [o.uri, ...(o.canaries ?? []).map((c) => c.uri)].map((uri) => ({
          uri,
          digest: digestOf(uri),
          bundle: {},
        })),
      });
    const clean = signed({ uri: s1, canaries: [{ name: 'c', uri: s2, traffic: 10 }] });
    const canaryKey = signed({ uri: s1, canaries: [{ name: 'c', uri: s2, traffic: 10 }] });
    canaryKey['spec'].canary[0].predictor.annotations = { [PARAM]: '{"endpoint_url":"x"}' };
    const runtime = (annotations: Obj): Obj => ({
      apiVersion: 'serving.kserve.io/v1alpha1',
      kind: 'ServingRuntime',
      metadata: { name: 'r', namespace: 'ml' },
      spec: {
        supportedModelFormats: [{ name: 'sklearn', autoSelect: true }],
        containers: [{ name: 'kserve-container', image: 'kserve/sklearnserver:v1' }],
        annotations,
      },
    });
    for (const [rule, text] of EVERY_RULE) {
      const p = policy('p', text);
      t.same(
        codes(evaluate(p, clean, undefined, verifier)),
        [],
        `${rule}: the clean canary passes`,
      );
      t.same(
        codes(evaluate(p, canaryKey, undefined, verifier)),
        [`MODEL_LOCATION_OVERRIDE@spec.canary[0].predictor.annotations["${PARAM}"]`],
        `${rule}: a canary entry's annotation`,
      );
      t.same(codes(evaluate(p, runtime({}), undefined, verifier)), [], `${rule}: a plain runtime`);
      t.same(
        codes(evaluate(p, runtime({ [PARAM]: '{}' }), undefined, verifier)),
        [`MODEL_LOCATION_OVERRIDE@spec.annotations["${PARAM}"]`],
        `${rule}: a runtime's pod annotation`,
      );
    }
  },
);

t.test('class 5: a stable record must name what served', async (t) => {
  const c = policy('c', STRICT_CANARY);
  t.same(
    codes(evaluate(c, isvc({ uri: s2, canary: 10, stable: s1 }))),
    ['STABLE_RECORD_UNKNOWN@metadata.annotations["aviary.dev/stable"]'],
    'CREATE with a canary: the first revision takes everything, the record never served',
  );
  t.same(codes(evaluate(c, isvc({ uri: s1, stable: s1 }))), [], 'CREATE serving its own record');
  t.same(
    codes(evaluate(c, isvc({ uri: s1, stable: s2 }))),
    ['STABLE_RECORD_UNKNOWN@metadata.annotations["aviary.dev/stable"]'],
    'CREATE without a canary naming another artifact',
  );
  // The attack: record the candidate while it serves only 10 %, then "roll back" to it at 100 %.
  const at10 = isvc({ uri: s2, canary: 10, stable: s1 });
  t.same(codes(evaluate(c, isvc({ uri: s3, canary: 10, stable: s2 }), at10)), [
    'STABLE_RECORD_UNKNOWN@metadata.annotations["aviary.dev/stable"]',
  ]);
  t.same(codes(evaluate(c, isvc({ uri: s1, stable: s1 }), at10)), [], 'a real rollback');
  // Without a split, what served is the old serving artifact, whatever the old record says.
  const lying = isvc({ uri: s1, stable: s3 });
  t.same(codes(evaluate(c, isvc({ uri: s3, stable: s3 }), lying)), [
    'CANARY_REQUIRED@spec.predictor.canaryTrafficPercent',
  ]);
});

t.test('class 5: candidates are matched by artifact, not by name', async (t) => {
  const c = policy('c', STRICT_CANARY);
  const old = isvc({ uri: s1, canaries: [{ name: 'c1', uri: s2, traffic: 10 }] });
  t.same(
    codes(
      evaluate(c, isvc({ uri: s1, canaries: [{ name: 'renamed', uri: s2, traffic: 50 }] }), old),
    ),
    ['CANARY_INCREASE_TOO_LARGE@spec.canary[0].trafficPercent'],
    'renaming does not reset maxIncrease',
  );
  t.same(
    codes(
      evaluate(c, isvc({ uri: s1, canaries: [{ name: 'renamed', uri: s2, traffic: 20 }] }), old),
    ),
    [],
  );
  // The same URI with another digest is another artifact.
  const swapped = isvc({
    uri: s1,
    canaries: [{ name: 'c1', uri: s2, traffic: 20 }],
    evidence: [
      { uri: s1, digest: digestOf(s1) },
      { uri: s2, digest: digestOf('other content') },
    ],
  });
  t.same(
    codes(evaluate(policy('c', 'canary:\n  maxIncrease: 5'), swapped, old)),
    [],
    'a new artifact is not an increase',
  );
  const knativeOld = isvc({ uri: s2, canary: 10, stable: s1 });
  const knativeSwap = isvc({
    uri: s2,
    stable: s2,
    evidence: [
      { uri: s1, digest: digestOf(s1) },
      { uri: s2, digest: digestOf('other content') },
    ],
  });
  t.same(
    codes(evaluate(c, knativeSwap, knativeOld)),
    [
      'CANARY_REQUIRED@spec.predictor.canaryTrafficPercent',
      'STABLE_RECORD_UNKNOWN@metadata.annotations["aviary.dev/stable"]',
    ],
    'new content under the candidate URI is not a promotion',
  );
});

t.test('class 5: Standard-mode transformer and explainer changes need a canary', async (t) => {
  const withTransformer = (uri: string) => {
    const o = isvc({ uri: s1, mode: 'Standard' });
    o['spec'].transformer = { containers: [{ env: [{ name: 'STORAGE_URI', value: uri }] }] };
    return o;
  };
  t.same(codes(evaluate(policy('c', STRICT_CANARY), withTransformer(s3), withTransformer(s2))), [
    'CANARY_REQUIRED@spec.transformer',
  ]);
  t.same(codes(evaluate(policy('c', STRICT_CANARY), withTransformer(s2), withTransformer(s2))), []);
});
