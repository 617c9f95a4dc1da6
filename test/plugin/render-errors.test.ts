import { symlinkSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { runCli } from '../helpers/cli.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const release = (name: string, extra = '') =>
  `apiVersion: aviary.dev/v1alpha1\nkind: ModelRelease\nmetadata:\n  name: ${name}\nspec:\n  model:\n    format: sklearn\n  stable:\n    uri: s3://m/${name}/\n    digest: ${D1}\n${extra}`;
const canary = (traffic: string) =>
  `  canary:\n    uri: s3://m/next/\n    digest: ${D2}\n    traffic: ${traffic}\n`;

/** Renders `app/` of a fixture tree as `generate` does; every failure must be exit 2 with empty stdout. */
async function generate(t: Test, tree: Tree, env: Record<string, string> = {}) {
  const root = t.testdir(tree);
  return runCli(['generate'], path.join(root, 'app'), { ARGOCD_APP_SOURCE_PATH: 'app', ...env });
}

type Tree = NonNullable<Parameters<Test['testdir']>[0]>;

const cases: [string, Tree, RegExp][] = [
  ['invalid YAML', { app: { 'r.yaml': 'a: [1,\n' } }, /^app\/r\.yaml:\d+:\d+: YAML_SYNTAX/m],
  [
    'duplicate keys',
    {
      app: {
        'r.yaml': release('a').replace(
          'kind: ModelRelease\n',
          'kind: ModelRelease\nkind: ModelRelease\n',
        ),
      },
    },
    /^app\/r\.yaml:3:1: YAML_DUPLICATE_KEY/m,
  ],
  [
    'an alias bomb',
    {
      app: {
        'r.yaml':
          'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n',
      },
    },
    /^app\/r\.yaml:1:1: YAML_ALIAS_LIMIT/m,
  ],
  [
    'an unknown field',
    { app: { 'r.yaml': release('a', '  stabel: {}\n') } },
    /^app\/r\.yaml:11:3: SPEC_SCHEMA unknown field "stabel" \(at spec\.stabel\)/m,
  ],
  [
    'traffic 101',
    { app: { 'r.yaml': release('a', canary('101')) } },
    /^app\/r\.yaml:14:5: SPEC_SCHEMA .*spec\.canary\.traffic/m,
  ],
  [
    'traffic 12.5',
    { app: { 'r.yaml': release('a', canary('12.5')) } },
    /^app\/r\.yaml:14:5: SPEC_SCHEMA must be an integer/m,
  ],
  [
    'a URI without scheme',
    { app: { 'r.yaml': release('a').replace('s3://m/a/', 'models/a/') } },
    /^app\/r\.yaml:9:5: SPEC_SCHEMA .*spec\.stable\.uri/m,
  ],
  [
    'a signature path escaping the repository',
    { app: { 'r.yaml': release('a', '    signature: ../../outside.json\n') } },
    /^app\/r\.yaml:\d+:\d+: SPEC_SIGNATURE_PATH .*outside the repository/m,
  ],
  [
    'an absolute signature path',
    { app: { 'r.yaml': release('a', '    signature: /etc/passwd\n') } },
    /SPEC_SIGNATURE_PATH .*absolute/,
  ],
  [
    'a missing signature file',
    { app: { 'r.yaml': release('a', '    signature: ../sigs/none.json\n') } },
    /^app\/r\.yaml:11:5: SPEC_SIGNATURE_MISSING/m,
  ],
  [
    'a signature that is not JSON',
    {
      app: { 'r.yaml': release('a', '    signature: ../sigs/a.json\n') },
      sigs: { 'a.json': 'not json' },
    },
    /SPEC_SIGNATURE_INVALID/,
  ],
  [
    'zero ModelReleases',
    { app: { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' } },
    /^app: SPEC_NO_RELEASES/m,
  ],
  ['an empty folder', { app: {} }, /SPEC_NO_RELEASES/],
  [
    'two releases with one name',
    { app: { 'a.yaml': release('same'), 'b.yaml': release('same') } },
    /^app\/b\.yaml:1:1: SPEC_DUPLICATE_OBJECT/m,
  ],
  [
    'a document that is not a Kubernetes object',
    { app: { 'r.yaml': release('a'), 'values.yaml': 'replicas: 3\n' } },
    /^app\/values\.yaml:1:1: SPEC_NOT_KUBERNETES_OBJECT/m,
  ],
  [
    'a scalar document',
    { app: { 'r.yaml': release('a'), 'x.yaml': 'just text\n' } },
    /^app\/x\.yaml:1:1: SPEC_NOT_AN_OBJECT/m,
  ],
  [
    'a name too long for the namespace',
    { app: { 'r.yaml': release('a'.repeat(50)) } },
    /SPEC_KSERVE_NAME_TOO_LONG/,
  ],
];

for (const [name, tree, stderr] of cases) {
  t.test(name, async (t) => {
    const r = await generate(t, tree, { ARGOCD_APP_NAMESPACE: 'ml-production-eu' });
    t.equal(r.code, 2);
    t.equal(r.stdout, '', 'nothing on stdout');
    t.match(r.stderr, stderr);
  });
}

t.test('every problem in a folder is listed in one run', async (t) => {
  const r = await generate(t, {
    app: {
      'a.yaml': release('a', canary('101')),
      'b.yaml': release('b', '  bogus: 1\n'),
      'c.yaml': 'x: [\n',
    },
  });
  t.equal(r.code, 2);
  t.match(
    r.stderr,
    /a\.yaml.*SPEC_SCHEMA[\s\S]*b\.yaml.*SPEC_SCHEMA[\s\S]*c\.yaml.*YAML_SYNTAX[\s\S]*3 problems/,
  );
});

t.test('a signature reached through a symlink is refused', async (t) => {
  const root = t.testdir({
    app: { 'r.yaml': release('a', '    signature: ../sigs/link.json\n') },
    sigs: {},
    real: { 'b.json': '{}' },
  });
  symlinkSync(path.join(root, 'real/b.json'), path.join(root, 'sigs/link.json'));
  const r = await runCli(['generate'], path.join(root, 'app'), { ARGOCD_APP_SOURCE_PATH: 'app' });
  t.equal(r.code, 2);
  t.match(r.stderr, /SPEC_SIGNATURE_PATH .*symlink/);
});

t.test('a symlinked manifest is refused', async (t) => {
  const root = t.testdir({
    app: { 'r.yaml': release('a') },
    elsewhere: { 'x.yaml': release('b') },
  });
  symlinkSync(path.join(root, 'elsewhere/x.yaml'), path.join(root, 'app/x.yaml'));
  const r = await runCli(['generate'], path.join(root, 'app'), { ARGOCD_APP_SOURCE_PATH: 'app' });
  t.equal(r.code, 2);
  t.match(r.stderr, /^app\/x\.yaml:1:1: SPEC_SYMLINK/m);
});

t.test('dotfiles such as .argocd-source.yaml are not manifests', async (t) => {
  const r = await generate(t, {
    app: { 'r.yaml': release('a'), '.argocd-source-a.yaml': 'not: a manifest\n' },
  });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /kind: InferenceService/);
});

t.test('unknown commands and flags are usage errors', async (t) => {
  const root = t.testdir({});
  t.match(await runCli(['nope'], root), {
    code: 2,
    stdout: '',
    stderr: /USAGE_INVALID unknown command "nope"/,
  });
  t.match(await runCli(['render', '--bogus'], root), { code: 2, stderr: /USAGE_INVALID/ });
  t.match(await runCli(['render', '--mode', 'Serverless'], root), {
    code: 2,
    stderr: /USAGE_INVALID --mode/,
  });
  t.match(await runCli([], root), { code: 2, stderr: /no command given/ });
});

t.test('a ModelAnalysis next to its release is configuration, not output', async (t) => {
  const analysis =
    'apiVersion: aviary.dev/v1alpha1\nkind: ModelAnalysis\nmetadata:\n  name: errors\nspec:\n  interval: 1m\n  metrics: []\n';
  const res = await generate(t, {
    app: { 'r.yaml': release('a'), 'errors.yaml': analysis },
  });
  t.equal(res.code, 0, res.stderr);
  t.notMatch(res.stdout, /ModelAnalysis/);
  t.match(res.stdout, /kind: InferenceService/);
  // Only when it is Aviary's own kind: another API group's ModelAnalysis passes through.
  const other = await generate(t, {
    app: {
      'r.yaml': release('a'),
      'x.yaml': analysis.replace('aviary.dev/v1alpha1', 'example.com/v1'),
    },
  });
  t.match(other.stdout, /kind: ModelAnalysis/);
});
