import t from 'tap';
import { parseYamlStream, validateModelRelease } from '@aviary/policies';

const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;

function spec(overrides: string): string {
  return `apiVersion: aviary.dev/v1alpha1
kind: ModelRelease
metadata:
  name: iris
spec:
  model:
    format: sklearn
  stable:
    uri: s3://models/iris/1/
    digest: ${D1}
${overrides}`;
}

function check(text: string) {
  const doc = parseYamlStream(text, 'r.yaml').documents[0]!;
  return validateModelRelease(doc, 'r.yaml');
}

t.test('a minimal release is valid', async (t) => {
  const r = check(spec(''));
  t.same(r.diagnostics, []);
  t.equal(r.release?.metadata.name, 'iris');
});

t.test('a canary with traffic 0..100 is valid', async (t) => {
  for (const traffic of [0, 10, 100]) {
    t.same(
      check(
        spec(
          `  canary:\n    uri: s3://models/iris/2/\n    digest: ${D2}\n    traffic: ${traffic}\n`,
        ),
      ).diagnostics,
      [],
    );
  }
});

const cases: [string, string, { code: string; path: string; line: number }[]][] = [
  [
    'traffic 101',
    `  canary:\n    uri: s3://m/2/\n    digest: ${D2}\n    traffic: 101\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.canary.traffic', line: 14 }],
  ],
  [
    'traffic 12.5',
    `  canary:\n    uri: s3://m/2/\n    digest: ${D2}\n    traffic: 12.5\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.canary.traffic', line: 14 }],
  ],
  ['an unknown field', `  extra: true\n`, [{ code: 'SPEC_SCHEMA', path: 'spec.extra', line: 11 }]],
  [
    'a URI without scheme',
    `  canary:\n    uri: models/iris/2\n    digest: ${D2}\n    traffic: 5\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.canary.uri', line: 12 }],
  ],
  [
    'a short digest',
    `  canary:\n    uri: s3://m/2/\n    digest: sha256:abc\n    traffic: 5\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.canary.digest', line: 13 }],
  ],
  [
    'a missing canary traffic',
    `  canary:\n    uri: s3://m/2/\n    digest: ${D2}\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.canary', line: 11 }],
  ],
  [
    'canary equal to stable URI',
    `  canary:\n    uri: s3://models/iris/1/\n    digest: ${D2}\n    traffic: 5\n`,
    [{ code: 'SPEC_CANARY_SAME_ARTIFACT', path: 'spec.canary.uri', line: 12 }],
  ],
  [
    'canary equal to stable digest',
    `  canary:\n    uri: s3://m/2/\n    digest: ${D1}\n    traffic: 5\n`,
    [{ code: 'SPEC_CANARY_SAME_ARTIFACT', path: 'spec.canary.digest', line: 13 }],
  ],
  [
    'min above max replicas',
    `  deployment:\n    minReplicas: 3\n    maxReplicas: 2\n`,
    [{ code: 'SPEC_REPLICAS', path: 'spec.deployment.minReplicas', line: 12 }],
  ],
];
for (const [name, extra, expected] of cases) {
  t.test(name, async (t) => {
    const r = check(spec(extra));
    t.equal(r.release, undefined);
    t.match(r.diagnostics, expected);
    t.equal(r.diagnostics.length, expected.length);
  });
}

t.test('every problem is reported, not just the first', async (t) => {
  const r = check(
    spec(`  canary:\n    uri: nope\n    digest: sha256:zz\n    traffic: 101\n  bogus: 1\n`),
  );
  t.same(r.diagnostics.map((d) => d.path).sort(), [
    'spec.bogus',
    'spec.canary.digest',
    'spec.canary.traffic',
    'spec.canary.uri',
  ]);
});

t.test('an oci URI must pin the same digest the spec states', async (t) => {
  const text = spec('').replace('s3://models/iris/1/', `oci://r.example.com/iris@${D2}`);
  t.match(check(text).diagnostics, [{ code: 'SPEC_DIGEST_MISMATCH', path: 'spec.stable.digest' }]);
});

t.test('reserved annotations are refused', async (t) => {
  const text = spec('').replace(
    '  name: iris\n',
    '  name: iris\n  annotations:\n    aviary.dev/stable: forged\n    serving.kserve.io/deploymentMode: Serverless\n',
  );
  t.same(
    check(text).diagnostics.map((d) => d.code),
    ['SPEC_RESERVED_ANNOTATION', 'SPEC_RESERVED_ANNOTATION'],
  );
});

const CANARY = (traffic: number) =>
  `  canary:\n    uri: s3://models/iris/2/\n    digest: ${D2}\n    traffic: ${traffic}\n`;

t.test('rollout: valid with and without a canary, onFailure defaulting to rollback', async (t) => {
  const rollout = `  rollout:\n    steps: [5, 25, 50]\n    analysis: ../analysis/errors.yaml\n`;
  for (const [name, text] of [
    ['without a canary (inert)', spec(rollout)],
    ['canary at 0', spec(CANARY(0) + rollout)],
    ['canary on a step', spec(CANARY(25) + rollout)],
    [
      'hold, one step of 100',
      spec(
        `${CANARY(100)}  rollout:\n    steps: [100]\n    analysis: a.yaml\n    onFailure: hold\n`,
      ),
    ],
    [
      'twenty steps',
      spec(
        `${CANARY(20)}  rollout:\n    steps: [${Array.from({ length: 20 }, (_, i) => i + 1).join(', ')}]\n    analysis: a.yaml\n`,
      ),
    ],
  ] as const) {
    const r = check(text);
    t.same(r.diagnostics, [], name);
    t.ok(r.release?.spec.rollout, name);
  }
  t.equal(
    check(spec(rollout)).release?.spec.rollout?.onFailure,
    undefined,
    'the default is not written in',
  );
});

const rolloutCases: [string, string, { code: string; path: string; line: number }[]][] = [
  [
    'steps not ascending',
    `  rollout:\n    steps:\n      - 5\n      - 50\n      - 25\n    analysis: a.yaml\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.rollout.steps', line: 15 }],
  ],
  [
    'a repeated step',
    `  rollout:\n    steps: [5, 5]\n    analysis: a.yaml\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.rollout.steps', line: 12 }],
  ],
  [
    'traffic not on a step',
    `${CANARY(10)}  rollout:\n    steps: [5, 25, 50]\n    analysis: a.yaml\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.canary.traffic', line: 14 }],
  ],
  [
    'traffic 100 beyond the last step',
    `${CANARY(100)}  rollout:\n    steps: [5, 25, 50]\n    analysis: a.yaml\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.canary.traffic', line: 14 }],
  ],
  [
    'a bad onFailure',
    `  rollout:\n    steps: [5]\n    analysis: a.yaml\n    onFailure: abort\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.rollout.onFailure', line: 14 }],
  ],
  [
    'an analysis path that is not a string',
    `  rollout:\n    steps: [5]\n    analysis: [a.yaml]\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.rollout.analysis', line: 13 }],
  ],
  [
    'an absolute analysis path',
    `  rollout:\n    steps: [5]\n    analysis: /etc/analysis.yaml\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.rollout.analysis', line: 13 }],
  ],
  [
    'an analysis path beyond 1024 characters',
    `  rollout:\n    steps: [5]\n    analysis: ${'a/'.repeat(512)}x.yaml\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.rollout.analysis', line: 13 }],
  ],
  [
    'a missing analysis',
    `  rollout:\n    steps: [5]\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.rollout', line: 11 }],
  ],
  [
    'no steps',
    `  rollout:\n    steps: []\n    analysis: a.yaml\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.rollout.steps', line: 12 }],
  ],
  [
    'twenty-one steps',
    `  rollout:\n    steps: [${Array.from({ length: 21 }, (_, i) => i + 1).join(', ')}]\n    analysis: a.yaml\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.rollout.steps', line: 12 }],
  ],
  [
    'a step of 0',
    `  rollout:\n    steps: [0, 50]\n    analysis: a.yaml\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.rollout.steps[0]', line: 12 }],
  ],
  [
    'a step above 100',
    `  rollout:\n    steps: [50, 101]\n    analysis: a.yaml\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.rollout.steps[1]', line: 12 }],
  ],
  [
    'a fractional step',
    `  rollout:\n    steps: [12.5]\n    analysis: a.yaml\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.rollout.steps[0]', line: 12 }],
  ],
  [
    'an unknown rollout field',
    `  rollout:\n    steps: [5]\n    analysis: a.yaml\n    interval: 1m\n`,
    [{ code: 'SPEC_SCHEMA', path: 'spec.rollout.interval', line: 14 }],
  ],
];
for (const [name, extra, expected] of rolloutCases) {
  t.test(`rollout: ${name}`, async (t) => {
    const r = check(spec(extra));
    t.equal(r.release, undefined);
    t.match(r.diagnostics, expected);
    t.equal(r.diagnostics.length, expected.length);
  });
}

t.test('source is allowed on stable and canary', async (t) => {
  const text = spec(`${CANARY(5)}    source: models:/iris/7\n`).replace(
    `    digest: ${D1}\n`,
    `    digest: ${D1}\n    source: models:/iris/6\n`,
  );
  const r = check(text);
  t.same(r.diagnostics, []);
  t.equal(r.release?.spec.stable.source, 'models:/iris/6');
  t.equal(r.release?.spec.canary?.source, 'models:/iris/7');
});

t.test("reserved labels are refused: the aviary.dev/ prefix is Aviary's", async (t) => {
  const text = spec('').replace(
    '  name: iris\n',
    '  name: iris\n  labels:\n    team: risk\n    aviary.dev/artifact: 0123456789ab\n    aviary.dev/other: x\n',
  );
  t.match(check(text).diagnostics, [
    { code: 'SPEC_RESERVED_LABEL', path: 'metadata.labels["aviary.dev/artifact"]', line: 7 },
    { code: 'SPEC_RESERVED_LABEL', path: 'metadata.labels["aviary.dev/other"]', line: 8 },
  ]);
  t.equal(check(text).diagnostics.length, 2);
  const other = spec('').replace(
    '  name: iris\n',
    '  name: iris\n  labels:\n    example.dev/artifact: x\n',
  );
  t.same(check(other).diagnostics, [], "another domain is the user's");
});

t.test('a wrong apiVersion or kind is named', async (t) => {
  const r = check(spec('').replace('aviary.dev/v1alpha1', 'aviary.dev/v2'));
  t.match(r.diagnostics, [{ code: 'SPEC_SCHEMA', path: 'apiVersion', line: 1 }]);
});
