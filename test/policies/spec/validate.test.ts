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

t.test('a wrong apiVersion or kind is named', async (t) => {
  const r = check(spec('').replace('aviary.dev/v1alpha1', 'aviary.dev/v2'));
  t.match(r.diagnostics, [{ code: 'SPEC_SCHEMA', path: 'apiVersion', line: 1 }]);
});
