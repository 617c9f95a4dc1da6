import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { runCli, spawnAviary } from '../helpers/cli.js';
import { isvc } from '../helpers/isvc.js';
import { REPO } from '../helpers/paths.js';

const CASES = 'policies/catalog/tests/cases';
const PROD = [
  '--policies',
  'policies/catalog/production.yaml',
  '--namespace',
  'ml-prod',
  '--namespace-label',
  'env=prod',
];

t.test('aviary test passes on the example policies', async (t) => {
  const r = await spawnAviary(['test', 'policies/catalog'], REPO, {});
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, /^\d+ cases, (\d+) passed, 0 failed$/m);
  t.notMatch(r.stdout, /^not ok/m);
});

t.test('aviary test exits 1 and names the case on a mismatch', async (t) => {
  const dir = t.testdir({
    'p.yaml':
      'apiVersion: aviary.dev/v1alpha1\nkind: ModelReleasePolicy\nmetadata: {name: p}\nspec:\n  pinning: {}\n',
    'x.aviary-test.yaml': `apiVersion: aviary.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: s}\npolicies: [p.yaml]\ncases:\n  - name: wrong expectation\n    object: ${path.join(REPO, CASES, 'oci-tag.yaml')}\n    expect: { allowed: true }\n`,
  });
  const r = await runCli(['test', dir], REPO);
  t.equal(r.code, 1);
  t.match(r.stdout, /^not ok wrong expectation\n\s+expected allowed=true, got allowed=false/m);
  t.match(r.stdout, /^1 cases, 0 passed, 1 failed$/m);
});

t.test('aviary test rejects a malformed suite with exit 2', async (t) => {
  const dir = t.testdir({
    'x.aviary-test.yaml':
      'apiVersion: aviary.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: s}\npolicies: [p.yaml]\ncases: []\nextra: 1\n',
  });
  const r = await runCli(['test', dir], REPO);
  t.equal(r.code, 2);
  t.match(r.stderr, /TEST_SCHEMA/);
});

t.test('aviary check: 0 allowed, 1 denied, 2 bad input', async (t) => {
  t.match(await runCli(['check', ...PROD, `${CASES}/stable-v1.yaml`], REPO), {
    code: 0,
    stdout: /^ALLOWED fraud/,
  });
  const denied = await runCli(['check', ...PROD, `${CASES}/oci-tag.yaml`], REPO);
  t.equal(denied.code, 1);
  t.match(
    denied.stdout,
    /deny\s+spec\.predictor\.model\.storageUri: .*\[PIN_OCI_UNPINNED, policy production\]/,
  );
  const update = await runCli(
    ['check', ...PROD, '--old', `${CASES}/canary-v2-10.yaml`, `${CASES}/canary-v2-50.yaml`],
    REPO,
  );
  t.equal(update.code, 1);
  t.match(update.stdout, /CANARY_INCREASE_TOO_LARGE/);
  t.match(await runCli(['check', ...PROD, 'nope.yaml'], REPO), {
    code: 2,
    stderr: /SPEC_READ_FAILED/,
  });
  t.match(await runCli(['check', '--policies', 'nowhere', `${CASES}/stable-v1.yaml`], REPO), {
    code: 2,
    stderr: /POLICY_READ_FAILED/,
  });
  t.match(
    await runCli(['check', ...PROD, '--operation', 'UPDATE', `${CASES}/stable-v1.yaml`], REPO),
    { code: 2, stderr: /needs --old/ },
  );
  t.match(await runCli(['check', ...PROD], REPO), { code: 2, stderr: /no file given/ });
});

t.test('aviary check prints load warnings and still judges', async (t) => {
  const dir = t.testdir({
    'p.yaml': readFileSync(path.join(REPO, 'policies/catalog/production-signatures.yaml'), 'utf8')
      .replace('required: true', 'required: false')
      .replace('  signatures:', '  pinning: {}\n  signatures:'),
  });
  const r = await runCli(
    [
      'check',
      '--policies',
      path.join(dir, 'p.yaml'),
      '--namespace',
      'ml-prod',
      `${CASES}/oci-tag.yaml`,
    ],
    REPO,
  );
  t.equal(r.code, 1, r.stderr);
  t.match(
    r.stderr,
    /^aviary: warning: .*p\.yaml:\d+:\d+: POLICY_SIGNATURES_NOT_REQUIRED .*\(at spec\.signatures\)$/m,
  );
  t.match(r.stdout, /PIN_OCI_UNPINNED/);
});

t.test('aviary check renders ModelRelease files first', async (t) => {
  const r = await runCli(
    ['check', ...PROD, 'deploy/examples/gitops/churn-canary/churn.modelrelease.yaml'],
    REPO,
  );
  t.equal(r.code, 0, r.stderr);
  t.match(
    r.stdout,
    /^ALLOWED churn \(deploy\/examples\/gitops\/churn-canary\/churn\.modelrelease\.yaml:\d+\)/m,
  );
  t.notMatch(r.stdout, /CANARY_ON_CREATE/, 'no operation given: existence is unknown');
  const created = await runCli(
    [
      'check',
      ...PROD,
      '--operation',
      'CREATE',
      'deploy/examples/gitops/churn-canary/churn.modelrelease.yaml',
    ],
    REPO,
  );
  t.equal(created.code, 1, 'as a new InferenceService the canary would take all traffic');
  t.match(created.stdout, /deny .*\[STABLE_RECORD_UNKNOWN, policy production\]/);
  t.match(created.stdout, /warn\s+spec\.predictor\.canaryTrafficPercent: .*CANARY_ON_CREATE/);
});

t.test('aviary verify: 0 verified, 1 not verified, 2 bad input', async (t) => {
  const FRAUD = 'sha256:a4be5b5de2ae2f8d4cd90b002bec045e1bafaaad7cc6484d0a1b7852b1d50c53';
  const SIGS = 'deploy/examples/gitops/signatures';
  const args = (bundle: string, digest = FRAUD) => [
    'verify',
    '--policies',
    'policies/catalog',
    '--bundle',
    `${SIGS}/${bundle}`,
    '--digest',
    digest,
  ];
  const ok = await runCli(args('fraud-1.2.0.sigstore.json'), REPO);
  t.equal(ok.code, 0, ok.stderr);
  t.match(
    ok.stdout,
    /^VERIFIED policy production-signatures: .* authority release-key .*model-signing/m,
  );
  const swapped = await runCli(args('tampered.sigstore.json'), REPO);
  t.equal(swapped.code, 1);
  t.match(swapped.stdout, /\[SIG_DIGEST_MISMATCH\]/);
  const other = await runCli(args('churn-2.0.0.sigstore.json'), REPO);
  t.match(
    other,
    { code: 1, stdout: /\[SIG_DIGEST_MISMATCH\]/ },
    'a valid signature for another model',
  );
  t.match(await runCli(args('fraud-1.2.0.sigstore.json', 'sha256:abc'), REPO), {
    code: 2,
    stderr: /--digest/,
  });
  t.match(await runCli(['verify', '--digest', FRAUD], REPO), { code: 2, stderr: /usage/ });
  t.match(
    await runCli(
      [
        'verify',
        '--policies',
        'policies/catalog/production.yaml',
        '--bundle',
        `${SIGS}/fraud-1.2.0.sigstore.json`,
        '--digest',
        FRAUD,
      ],
      REPO,
    ),
    {
      code: 2,
      stderr: /VERIFY_NO_AUTHORITIES/,
    },
  );
});

t.test('aviary check refuses internal keys on a canary predictor and on a runtime', async (t) => {
  const LOCAL = 'internal.serving.kserve.io/localmodel';
  const PARAM = 'internal.serving.kserve.io/storage-spec-param';
  const canary = isvc({
    uri: 's3://models-prod/fraud/1/',
    canaries: [{ name: 'c', uri: 's3://models-prod/fraud/2/', traffic: 10 }],
  }) as any;
  const runtime = parse(
    readFileSync(path.join(REPO, CASES, 'cluster-runtime-pinned.yaml'), 'utf8'),
  );
  runtime.spec.workerSpec = { containers: runtime.spec.containers };
  const files = () => ({
    'canary.yaml': JSON.stringify(canary),
    'runtime.yaml': JSON.stringify(runtime),
  });
  const check = (dir: string, file: string) =>
    runCli(['check', ...PROD, path.join(dir, file)], REPO);
  const clean = t.testdir(files());
  for (const file of ['canary.yaml', 'runtime.yaml'])
    t.equal((await check(clean, file)).code, 0, `${file} without the keys is allowed`);

  canary.spec.canary[0].predictor.annotations = { [PARAM]: '{"endpoint_url":"https://elsewhere"}' };
  runtime.spec.workerSpec.labels = { [LOCAL]: 'cache' };
  const keyed = t.testdir(files());
  const c = await check(keyed, 'canary.yaml');
  t.equal(c.code, 1);
  t.match(
    c.stdout,
    /deny\s+spec\.canary\[0\]\.predictor\.annotations\["internal\.serving\.kserve\.io\/storage-spec-param"\]: .*\[MODEL_LOCATION_OVERRIDE, policy production\]/,
  );
  const r = await check(keyed, 'runtime.yaml');
  t.equal(r.code, 1);
  t.match(
    r.stdout,
    /deny\s+spec\.workerSpec\.labels\["internal\.serving\.kserve\.io\/localmodel"\]: .*\[MODEL_LOCATION_OVERRIDE, policy production\]/,
  );
});
