import t from 'tap';
import { parseYamlStream } from '@aviary/policies';
import { emitYamlStream, renderApp } from '@aviary/plugin';
import { kubernetesRead } from '../helpers/k8s-yaml.js';

/**
 * Differential test against the real Go reader of Argo CD and kubectl (test/plugin/peer): for
 * every input, aviary reads what Go reads, and what aviary writes back reads, in Go, as the input
 * did. Inputs Go reads differently from what they say, or cannot read, are refused instead.
 */

const read = (text: string) => parseYamlStream(text, 'f.yaml');

const SAME: [name: string, text: string, meaning: unknown][] = [
  [
    'octal and hex, !!str kept as text',
    'a: 0644\nb: 0o644\nc: 0x1F\nd: 0b11\ne: +0644\nf: -0x1F\ng: !!str 0644\n',
    { a: 420, b: 420, c: 31, d: 3, e: 420, f: -31, g: '0644' },
  ],
  [
    'yes/no/on/off/y/n',
    'a: [yes, no, on, off, y, n, YES, Off, yEs]\n',
    { a: [true, false, true, false, true, false, true, false, 'yEs'] },
  ],
  [
    'underscores and floats',
    'a: 1_000\nb: 0_x_1F\nc: 1_.5\nd: 1e3\ne: .5\nf: 08\ng: 1.5e-7\nh: 1e21\n',
    { a: 1000, b: 31, c: 1.5, d: 1000, e: 0.5, f: 8, g: 1.5e-7, h: 1e21 },
  ],
  [
    'dates and 1:20 stay text, 0755 does not',
    'a: 1:20\nb: 2024-01-01\n2024-01-02: c\nd: 0755\n',
    { a: '1:20', b: '2024-01-01', '2024-01-02': 'c', d: 493 },
  ],
  [
    'a plain << merge',
    'base: &b {a: 1, c: 2}\nm: {<<: *b, c: 3}\np: {<<: [{a: 9}, *b]}\n',
    { base: { a: 1, c: 2 }, m: { a: 1, c: 3 }, p: { a: 9, c: 2 } },
  ],
  [
    'a quoted << key',
    'm: {\'<<\': {a: 1}}\nq: {"<<": x}\n',
    { m: { '<<': { a: 1 } }, q: { '<<': 'x' } },
  ],
  ['boolean and integer keys', 'on: a\nn: b\n0644: c\n', { true: 'a', false: 'b', '420': 'c' }],
  [
    'JSON',
    '{"a": "yes", "b": "0644", "c": 1.5, "<<": {"d": null}}\n',
    { a: 'yes', b: '0644', c: 1.5, '<<': { d: null } },
  ],
];

for (const [name, text, meaning] of SAME) {
  t.test(`${name}: read and written with the meaning Go gives it`, async (t) => {
    const go = kubernetesRead(text);
    t.strictSame(go, [{ json: meaning }], 'what Go reads (the fact relied on)');
    const r = read(text);
    t.strictSame(r.diagnostics, []);
    t.strictSame(
      r.documents.map((d) => ({ json: d.value })),
      go,
      'aviary reads the same',
    );
    const written = emitYamlStream(r.documents.map((d) => d.value));
    t.strictSame(kubernetesRead(written), go, 'what aviary writes reads the same in Go');
  });
}

const REFUSED: [name: string, text: string, code: string, go: unknown][] = [
  ['.nan', 'a: .nan\n', 'YAML_UNSUPPORTED', [{ error: /unsupported value: NaN/ }]],
  ['.inf', 'a: -.inf\n', 'YAML_UNSUPPORTED', [{ error: /unsupported value: -Inf/ }]],
  // Go decodes the base64 and keeps the bytes as text; the file does not say that.
  ['!!binary', 'a: !!binary aGVsbG8=\n', 'YAML_UNSUPPORTED', [{ json: { a: 'hello' } }]],
  // Go drops the tag and keeps the text; the file asks for a timestamp, which JSON lacks.
  [
    '!!timestamp',
    'a: !!timestamp 2024-01-01\n',
    'YAML_UNSUPPORTED',
    [{ json: { a: '2024-01-01' } }],
  ],
  ['a complex key', '? [a, b]\n: 1\n', 'YAML_UNSUPPORTED', [{ error: /invalid map key/ }]],
  ['a null key', '~: 1\n', 'YAML_UNSUPPORTED', [{ error: /unsupported map key/ }]],
  // sigs.k8s.io/yaml prints float keys with float32 precision.
  ['a float key', '3.14159265358979: x\n', 'YAML_UNSUPPORTED', [{ json: { '3.1415927': 'x' } }]],
  ['an unknown tag', 'a: !foo bar\n', 'YAML_UNSUPPORTED', [{ json: { a: 'bar' } }]],
  // go-yaml lets a merge overwrite the keys before it; the YAML 1.1 spec says c is 3.
  [
    'a << after other keys',
    'base: &b {a: 1, c: 2}\nm: {c: 3, <<: *b}\n',
    'YAML_MERGE_ORDER',
    [{ json: { base: { a: 1, c: 2 }, m: { a: 1, c: 2 } } }],
  ],
  [
    'two << keys',
    'base: &b {a: 1}\nm: {<<: *b, <<: {a: 2}}\n',
    'YAML_MERGE_ORDER',
    [{ json: { base: { a: 1 }, m: { a: 2 } } }],
  ],
  [
    'a %YAML directive',
    '%YAML 1.2\n---\na: 0644\n',
    'YAML_UNSUPPORTED',
    [{ error: /incompatible/ }],
  ],
  // Go keeps all 64 bits; a JavaScript number cannot.
  ['a 64-bit integer', 'a: 9007199254740993\n', 'YAML_UNSUPPORTED', [{ json: { a: Number } }]],
];

for (const [name, text, code, go] of REFUSED) {
  t.test(`${name}: refused`, async (t) => {
    t.match(kubernetesRead(text), go, 'what Go does with it (the fact relied on)');
    const r = read(text);
    t.strictSame(
      r.diagnostics.map((d) => d.code),
      [code],
    );
    t.strictSame(r.documents, [], 'never re-emitted');
  });
}

t.test('strings Go would read as something else are written quoted', async (t) => {
  const texts = ['0o644', '0O17', '0B11', '0X1F', '0_x_1F', '1_000', '1_.5', '-_.5', '.5', '1e3'];
  const words = [
    '08',
    'y',
    'N',
    'on',
    'Off',
    '~',
    '',
    'null',
    '.nan',
    '-.Inf',
    '1:20',
    '2024-01-01',
  ];
  const object = {
    data: Object.fromEntries([...texts, ...words].map((s, i) => [`k${i}`, s])),
    keys: { '<<': 'merge?', yes: 'bool?', '420': 'int?', '<<x': 'plain' },
  };
  t.strictSame(kubernetesRead(emitYamlStream([object])), [{ json: object }]);
});

t.test(
  'strings a YAML 1.1 spec reader would read as dates or numbers are written quoted',
  async (t) => {
    // Go keeps these as text either way; PyYAML-style readers of the spec would not.
    const texts = ['1:20', '-190:20:30.15', '2024-01-01', '2001-12-14 21:59:43.10 -5', '.', '<<'];
    const written = emitYamlStream([
      { data: Object.fromEntries(texts.map((s, i) => [`k${i}`, s])) },
    ]);
    for (const [i, s] of texts.entries()) t.match(written, `  k${i}: ${JSON.stringify(s)}\n`);
  },
);

t.test('a pass-through object reaches Argo CD with the meaning it has in Git', async (t) => {
  const digest = `sha256:${'1'.repeat(64)}`;
  const config = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: "0644"
  enabled: "yes"
  '<<': literal
  since: 2024-01-01
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: &labels {app: web, tier: "on"}
spec:
  template:
    metadata:
      labels: &podLabels {<<: *labels, tier: backend}
    spec:
      volumes:
        - name: cfg
          configMap: {name: settings, defaultMode: 0644}
      containers:
        - name: c
          image: registry.example.com/web@${digest}
          env: [{name: DEBUG, value: "off"}, {name: RATIO, value: "1:20"}]
          securityContext: {runAsNonRoot: yes, privileged: off}
  selector: {matchLabels: *podLabels}
`;
  const dir = t.testdir({
    'a.modelrelease.yaml': `apiVersion: aviary.dev/v1alpha1
kind: ModelRelease
metadata: {name: fraud}
spec:
  model: {format: sklearn}
  stable: {uri: "s3://m/fraud/", digest: "${digest}"}
`,
    'b-objects.yaml': config,
  });
  const result = await renderApp({ appDir: dir, root: dir, defaultMode: 'Knative' });
  t.strictSame(result.diagnostics, []);
  const git = kubernetesRead(config);
  t.match(git, [
    { json: { data: { '<<': 'literal', since: '2024-01-01' } } },
    {
      json: {
        spec: {
          template: {
            metadata: { labels: { app: 'web', tier: 'backend' } },
            spec: {
              volumes: [{ configMap: { defaultMode: 420 } }],
              containers: [{ securityContext: { runAsNonRoot: true, privileged: false } }],
            },
          },
        },
      },
    },
  ]);
  const applied = kubernetesRead(emitYamlStream(result.objects));
  t.equal(applied.length, 3);
  t.strictSame(
    applied.slice(1),
    git,
    'the ConfigMap and Deployment Argo CD applies are the ones in Git',
  );
});
