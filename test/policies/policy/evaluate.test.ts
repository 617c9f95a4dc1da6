import t from 'tap';
import {
  createEngine,
  type Decision,
  type EvaluationInput,
  type SignatureCheck,
} from '@aviary/policies/engine';
import { digestOf, isvc, policies, policy } from '../../helpers/isvc.js';

const PIN = policy(
  'pin',
  'pinning:\n  allowedSchemes: [oci, hf, s3, gs, pvc]\n  allowedPrefixes: ["s3://ok/", "oci://reg/", "hf://acme/", "gs://ok/", "pvc://"]',
);
const CANARY = policy(
  'canary',
  'canary:\n  maxTrafficPercent: 50\n  steps: [0, 10, 20, 30, 50]\n  maxIncrease: 20\n  requireCanary: true',
);

function run(
  policyText: string,
  input: Partial<EvaluationInput> & { object: unknown },
  verifierFor?: () => SignatureCheck,
): Decision {
  const engine = createEngine({
    policies: policies(policyText),
    ...(verifierFor ? { verifierFor } : {}),
  });
  return engine.evaluate({
    operation: input.oldObject ? 'UPDATE' : 'CREATE',
    namespace: 'ml',
    namespaceLabels: {},
    ...input,
  });
}
const codes = (d: Decision) => d.violations.map((f) => `${f.code}@${f.path}`).sort();

t.test('pinning', async (t) => {
  const table: [string, Record<string, unknown>, string[]][] = [
    ['s3 with evidence', isvc({ uri: 's3://ok/m/1/' }), []],
    ['oci digest', isvc({ uri: `oci://reg/m@${digestOf('x')}`, evidence: [] }), []],
    ['hf commit', isvc({ uri: `hf://acme/m:${'a'.repeat(40)}`, evidence: [] }), []],
    ['a file URI on s3 needs no slash', isvc({ uri: 's3://ok/m/model.joblib' }), []],
    [
      'oci tag',
      isvc({ uri: 'oci://reg/m:latest', evidence: [] }),
      ['PIN_OCI_UNPINNED@spec.predictor.model.storageUri'],
    ],
    [
      'hf branch',
      isvc({ uri: 'hf://acme/m:main', evidence: [] }),
      ['PIN_HF_UNPINNED@spec.predictor.model.storageUri'],
    ],
    [
      's3 without evidence',
      isvc({ uri: 's3://ok/m/1/', evidence: [] }),
      ['PIN_EVIDENCE_MISSING@spec.predictor.model.storageUri'],
    ],
    [
      'scheme not allowed',
      isvc({ uri: 'https://ok/m.tgz' }),
      [
        'PIN_PREFIX_NOT_ALLOWED@spec.predictor.model.storageUri',
        'PIN_SCHEME_NOT_ALLOWED@spec.predictor.model.storageUri',
      ],
    ],
    [
      'prefix not allowed',
      isvc({ uri: 's3://other/m/1/' }),
      ['PIN_PREFIX_NOT_ALLOWED@spec.predictor.model.storageUri'],
    ],
    [
      'no scheme',
      isvc({ uri: 'models/m/1/' }),
      ['PIN_URI_NO_SCHEME@spec.predictor.model.storageUri'],
    ],
    [
      'directory without slash',
      isvc({ uri: 's3://ok/m/1' }),
      ['PIN_DIRECTORY_SLASH@spec.predictor.model.storageUri'],
    ],
    [
      'oci evidence digest differs',
      isvc({
        uri: `oci://reg/m@${digestOf('x')}`,
        evidence: [{ uri: `oci://reg/m@${digestOf('x')}`, digest: digestOf('y') }],
      }),
      ['PIN_DIGEST_MISMATCH@spec.predictor.model.storageUri'],
    ],
    [
      'malformed evidence',
      isvc({
        uri: `oci://reg/m@${digestOf('x')}`,
        evidence: [],
        extraAnnotations: { 'aviary.dev/artifacts': '{not json' },
      }),
      ['EVIDENCE_MALFORMED@metadata.annotations["aviary.dev/artifacts"]'],
    ],
  ];
  for (const [name, object, expected] of table) t.same(codes(run(PIN, { object })), expected, name);
});

t.test('pinning inspects every location KServe downloads', async (t) => {
  const object = isvc({ uri: 'oci://reg/a:tag', evidence: [], mode: 'Standard' });
  const spec = object['spec'] as Record<string, any>;
  spec['transformer'] = {
    containers: [{ name: 'c', env: [{ name: 'STORAGE_URI', value: 'oci://reg/c:tag' }] }],
  };
  spec['explainer'] = { art: { storageUri: 'oci://reg/d:tag' } };
  spec['canary'] = [
    { trafficPercent: 0, predictor: { name: 'x', model: { storageUri: 'oci://reg/e:tag' } } },
  ];
  t.same(codes(run(PIN, { object })), [
    'PIN_OCI_UNPINNED@spec.canary[0].predictor.model.storageUri',
    'PIN_OCI_UNPINNED@spec.explainer.art.storageUri',
    'PIN_OCI_UNPINNED@spec.predictor.model.storageUri',
    'PIN_OCI_UNPINNED@spec.transformer.containers[0].env[0].value',
  ]);
  spec['predictor'].model.storageUri = 42;
  t.ok(
    codes(run(PIN, { object })).includes('MODEL_URI_INVALID@spec.predictor.model.storageUri'),
    'a non-string URI is a finding',
  );
});

t.test('canary bounds and steps', async (t) => {
  const s1 = 's3://ok/m/1/';
  const s2 = 's3://ok/m/2/';
  const table: [string, Record<string, unknown>, string[]][] = [
    ['allowed step', isvc({ uri: s2, canary: 10 }), []],
    [
      'above max',
      isvc({ uri: s2, canary: 60 }),
      [
        'CANARY_ABOVE_MAX@spec.predictor.canaryTrafficPercent',
        'CANARY_STEP_NOT_ALLOWED@spec.predictor.canaryTrafficPercent',
      ],
    ],
    [
      'not a step',
      isvc({ uri: s2, canary: 15 }),
      ['CANARY_STEP_NOT_ALLOWED@spec.predictor.canaryTrafficPercent'],
    ],
    [
      'not an integer',
      isvc({ uri: s2, canary: 12.5 }),
      ['CANARY_TRAFFIC_INVALID@spec.predictor.canaryTrafficPercent'],
    ],
    [
      'negative',
      isvc({ uri: s2, canary: -1 }),
      ['CANARY_TRAFFIC_INVALID@spec.predictor.canaryTrafficPercent'],
    ],
    ['standard allowed', isvc({ uri: s1, canaries: [{ name: 'c2', uri: s2, traffic: 20 }] }), []],
    [
      'standard above max',
      isvc({ uri: s1, canaries: [{ name: 'c2', uri: s2, traffic: 70 }] }),
      [
        'CANARY_ABOVE_MAX@spec.canary[0].trafficPercent',
        'CANARY_STEP_NOT_ALLOWED@spec.canary[0].trafficPercent',
      ],
    ],
    [
      'standard sum above max',
      isvc({
        uri: s1,
        canaries: [
          { name: 'a', uri: s2, traffic: 30 },
          { name: 'b', uri: 's3://ok/m/3/', traffic: 30 },
        ],
      }),
      ['CANARY_SUM_ABOVE_MAX@spec.canary'],
    ],
  ];
  for (const [name, object, expected] of table)
    t.same(codes(run(CANARY, { object })), expected, name);
});

t.test('canary on UPDATE', async (t) => {
  const s1 = 's3://ok/m/1/';
  const s2 = 's3://ok/m/2/';
  const s3 = 's3://ok/m/3/';
  const stable1 = isvc({ uri: s1, stable: s1 });
  const at10 = isvc({ uri: s2, canary: 10, stable: s1 });
  const table: [string, Record<string, unknown>, Record<string, unknown>, string[]][] = [
    ['permitted step 10 -> 30', isvc({ uri: s2, canary: 30, stable: s1 }), at10, []],
    [
      'jump 10 -> 50',
      isvc({ uri: s2, canary: 50, stable: s1 }),
      at10,
      ['CANARY_INCREASE_TOO_LARGE@spec.predictor.canaryTrafficPercent'],
    ],
    ['new canary from stable', at10, stable1, []],
    ['promotion keeps the serving URI', isvc({ uri: s2, stable: s2 }), at10, []],
    ['rollback to the recorded stable', isvc({ uri: s1, stable: s1 }), at10, []],
    ['instant rollback with traffic 0', isvc({ uri: s2, canary: 0, stable: s1 }), at10, []],
    [
      'new artifact straight to 100%',
      isvc({ uri: s3, stable: s3 }),
      stable1,
      ['CANARY_REQUIRED@spec.predictor.canaryTrafficPercent'],
    ],
    [
      'new artifact at canary 100%',
      isvc({ uri: s3, canary: 100, stable: s3 }),
      stable1,
      [
        'CANARY_ABOVE_MAX@spec.predictor.canaryTrafficPercent',
        'CANARY_REQUIRED@spec.predictor.canaryTrafficPercent',
        'CANARY_STEP_NOT_ALLOWED@spec.predictor.canaryTrafficPercent',
      ],
    ],
    [
      'forged stable record',
      isvc({ uri: s2, canary: 10, stable: s3 }),
      at10,
      ['STABLE_RECORD_UNKNOWN@metadata.annotations["aviary.dev/stable"]'],
    ],
    [
      'standard promotion of the canary',
      isvc({ uri: s2, predictorName: 'c2', mode: 'Standard' }),
      isvc({ uri: s1, predictorName: 'c1', canaries: [{ name: 'c2', uri: s2, traffic: 20 }] }),
      [],
    ],
    [
      'standard stable swapped to an unknown artifact',
      isvc({ uri: s3, predictorName: 'c3', canaries: [{ name: 'c2', uri: s2, traffic: 20 }] }),
      isvc({ uri: s1, predictorName: 'c1', canaries: [{ name: 'c2', uri: s2, traffic: 20 }] }),
      ['CANARY_REQUIRED@spec.predictor'],
    ],
    [
      'standard jump 10 -> 50',
      isvc({ uri: s1, canaries: [{ name: 'c2', uri: s2, traffic: 50 }] }),
      isvc({ uri: s1, canaries: [{ name: 'c2', uri: s2, traffic: 10 }] }),
      ['CANARY_INCREASE_TOO_LARGE@spec.canary[0].trafficPercent'],
    ],
    [
      'standard new candidate at 100%',
      isvc({ uri: s1, canaries: [{ name: 'c3', uri: s3, traffic: 100 }] }),
      isvc({ uri: s1, mode: 'Standard' }),
      [
        'CANARY_ABOVE_MAX@spec.canary[0].trafficPercent',
        'CANARY_REQUIRED@spec.canary[0].trafficPercent',
        'CANARY_STEP_NOT_ALLOWED@spec.canary[0].trafficPercent',
      ],
    ],
  ];
  for (const [name, object, oldObject, expected] of table)
    t.same(codes(run(CANARY, { object, oldObject })), expected, name);
});

t.test('a canary on CREATE is a warning, never a denial', async (t) => {
  const d = run(CANARY, { object: isvc({ uri: 's3://ok/m/2/', canary: 10 }) });
  t.equal(d.allowed, true);
  t.match(d.warnings, [{ code: 'CANARY_ON_CREATE', path: 'spec.predictor.canaryTrafficPercent' }]);
});

t.test('modes: enforce denies, warn warns, audit records', async (t) => {
  const object = isvc({ uri: 'oci://reg/m:tag', evidence: [] });
  const spec = 'pinning:\n  allowedSchemes: [oci]';
  const enforce = run(policy('p', `mode: enforce\n${spec}`), { object });
  t.match(enforce, {
    allowed: false,
    violations: [{ code: 'PIN_OCI_UNPINNED', mode: 'enforce', policy: 'p', rule: 'pinning' }],
    warnings: [],
    audits: [],
  });
  const warn = run(policy('p', `mode: warn\n${spec}`), { object });
  t.match(warn, {
    allowed: true,
    violations: [],
    warnings: [{ code: 'PIN_OCI_UNPINNED', mode: 'warn' }],
    audits: [],
  });
  const audit = run(policy('p', `mode: audit\n${spec}`), { object });
  t.match(audit, {
    allowed: true,
    violations: [],
    warnings: [],
    audits: [{ code: 'PIN_OCI_UNPINNED', mode: 'audit' }],
  });
});

t.test('several matching policies all apply; the strictest wins', async (t) => {
  const object = isvc({ uri: 'oci://reg/m:tag', evidence: [] });
  const text = policy('lenient', 'mode: warn\npinning: {}') + policy('strict', 'pinning: {}');
  const d = run(text, { object });
  t.equal(d.allowed, false);
  t.same(d.matched, ['lenient', 'strict']);
  t.same([d.violations[0]?.policy, d.warnings[0]?.policy], ['strict', 'lenient']);
});

t.test('matching by namespace list, namespace selector and object selector', async (t) => {
  const object = isvc({ uri: 'oci://reg/m:tag', evidence: [], labels: { team: 'risk' } });
  const ns = policy('p', 'match:\n  namespaces: [prod]\npinning: {}');
  t.equal(run(ns, { object, namespace: 'prod' }).allowed, false, 'listed namespace');
  t.equal(run(ns, { object, namespace: 'dev' }).allowed, true, 'other namespace');
  t.equal(run(ns, { object, namespace: undefined }).allowed, false, 'unknown namespace: assumed');
  const sel = policy(
    'p',
    'match:\n  namespaceSelector:\n    matchLabels: { env: prod }\n    matchExpressions:\n      - { key: tier, operator: NotIn, values: [sandbox] }\npinning: {}',
  );
  t.equal(run(sel, { object, namespaceLabels: { env: 'prod' } }).allowed, false, 'labels match');
  t.equal(
    run(sel, { object, namespaceLabels: { env: 'prod', tier: 'sandbox' } }).allowed,
    true,
    'NotIn excludes',
  );
  t.equal(run(sel, { object, namespaceLabels: {} }).allowed, true, 'labels missing');
  const obj = policy(
    'p',
    'match:\n  objectSelector:\n    matchExpressions:\n      - { key: team, operator: In, values: [risk] }\n      - { key: skip, operator: DoesNotExist }\npinning: {}',
  );
  t.equal(run(obj, { object }).allowed, false, 'object labels match');
  const exists = policy(
    'p',
    'match:\n  objectSelector:\n    matchExpressions:\n      - { key: other, operator: Exists }\npinning: {}',
  );
  t.equal(run(exists, { object }).allowed, true, 'Exists fails without the label');
});

t.test('signatures', async (t) => {
  const SIG = policy(
    'sig',
    'signatures:\n  required: true\n  authorities:\n    - name: k\n      key: { publicKey: "-----BEGIN PUBLIC KEY-----" }',
  );
  const uri = 's3://ok/m/1/';
  const signed = isvc({ uri, evidence: [{ uri, digest: digestOf(uri), bundle: { fake: true } }] });
  // A stand-in for the cryptographic verifier (the real one has its own tests): it accepts exactly
  // one bundle for one digest, so these cases exercise only the rule's binding logic.
  const verifier = (): SignatureCheck => ({
    verify: (bundle, digest) =>
      (bundle as { fake?: boolean }).fake === true && digest === digestOf(uri)
        ? { ok: true, authority: 'k', signer: 'hint' }
        : { ok: false, code: 'SIG_DIGEST_MISMATCH', message: 'signed for another digest' },
  });
  const ok = run(SIG, { object: signed }, verifier);
  t.same(codes(ok), []);
  t.match(ok.verified, [{ uri, digest: digestOf(uri), authority: 'k', policy: 'sig' }]);
  t.same(codes(run(SIG, { object: isvc({ uri }) }, verifier)), [
    'SIG_MISSING@spec.predictor.model.storageUri',
  ]);
  t.same(codes(run(SIG, { object: isvc({ uri, evidence: [] }) }, verifier)), [
    'SIG_EVIDENCE_MISSING@spec.predictor.model.storageUri',
  ]);
  t.same(
    codes(run(SIG, { object: signed })),
    ['SIG_NO_VERIFIER@spec.predictor.model.storageUri'],
    'no verifier: denied, never assumed valid',
  );
  const other = isvc({
    uri,
    evidence: [{ uri, digest: digestOf('other'), bundle: { fake: true } }],
  });
  t.same(codes(run(SIG, { object: other }, verifier)), [
    'SIG_DIGEST_MISMATCH@spec.predictor.model.storageUri',
  ]);
  const oci = `oci://reg/m@${digestOf('a')}`;
  const ociSwap = isvc({
    uri: oci,
    evidence: [{ uri: oci, digest: digestOf('b'), bundle: { fake: true } }],
  });
  t.same(codes(run(SIG, { object: ociSwap }, verifier)), [
    'SIG_DIGEST_MISMATCH@spec.predictor.model.storageUri',
  ]);
  const stableUnsigned = isvc({
    uri,
    stable: 's3://ok/m/0/',
    evidence: [{ uri, digest: digestOf(uri), bundle: { fake: true } }],
  });
  t.same(
    codes(run(SIG, { object: stableUnsigned }, verifier)),
    ['SIG_EVIDENCE_MISSING@metadata.annotations["aviary.dev/stable"]'],
    'the recorded stable must be signed too',
  );
});

t.test('an object too large to inspect is never taken as pinned', async (t) => {
  const withExtra = (fields: number) => {
    const object = isvc({ uri: 's3://ok/m/1/' });
    const extra: Record<string, unknown> = {};
    for (let i = 0; i < fields; i++) extra[`f${i}`] = i % 2 === 0 ? 'v' : { n: i };
    (object['spec'] as Record<string, any>)['predictor'].model.extra = extra;
    return object;
  };
  t.same(codes(run(PIN, { object: withExtra(1_000) })), [], 'a large but inspectable object');
  t.same(codes(run(PIN, { object: withExtra(8_000) })), ['OBJECT_UNINSPECTABLE@spec']);
});

t.test('an object too deep to inspect is never taken as pinned, and never crashes', async (t) => {
  const object = isvc({ uri: 's3://ok/m/1/' });
  let deep: Record<string, unknown> = {};
  const root = deep;
  for (let i = 0; i < 20_000; i++) {
    const next: Record<string, unknown> = {};
    deep['x'] = next;
    deep = next;
  }
  (object['spec'] as Record<string, any>)['predictor'].model.extra = root;
  t.same(codes(run(PIN, { object })), ['OBJECT_UNINSPECTABLE@spec']);
});
