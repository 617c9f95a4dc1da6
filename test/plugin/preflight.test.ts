import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { stringify } from 'yaml';
import { runCli, type CliResult } from '../helpers/cli.js';
import { digestOf, isvc } from '../helpers/isvc.js';
import { KEYLESS_POLICY_SPEC, NOT_A_ROOT, signedIsvc, withoutFulcio } from '../helpers/keyless.js';
import { EXAMPLES, REPO } from '../helpers/paths.js';

function repo(t: Test): string {
  const root = t.testdir({});
  cpSync(EXAMPLES, root, { recursive: true });
  cpSync(
    path.join(REPO, 'policies/catalog/production.yaml'),
    path.join(root, 'policies/production.yaml'),
  );
  return root;
}
const params = (preflight: string, policies = 'policies') =>
  JSON.stringify([
    { name: 'preflight', string: preflight },
    { name: 'policies', string: policies },
  ]);

t.test('enforce: a release inside policy renders', async (t) => {
  const root = repo(t);
  const r = await runCli(['generate'], path.join(root, 'churn-canary'), {
    ARGOCD_APP_SOURCE_PATH: 'churn-canary',
    ARGOCD_APP_NAMESPACE: 'ml-prod',
    ARGOCD_APP_PARAMETERS: params('enforce'),
  });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /kind: InferenceService/);
});

t.test('enforce: a violation fails generate with the webhook wording and no output', async (t) => {
  const root = repo(t);
  const file = path.join(root, 'churn-canary/churn.modelrelease.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('traffic: 10', 'traffic: 15'));
  const r = await runCli(['generate'], path.join(root, 'churn-canary'), {
    ARGOCD_APP_SOURCE_PATH: 'churn-canary',
    ARGOCD_APP_NAMESPACE: 'ml-prod',
    ARGOCD_APP_PARAMETERS: params('enforce'),
  });
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.match(
    r.stderr,
    /spec\.predictor\.canaryTrafficPercent: .* \[CANARY_STEP_NOT_ALLOWED, policy production\]/,
  );
  t.notMatch(r.stderr, /CANARY_ON_CREATE/, 'no advisory about an assumed CREATE');

  const warn = await runCli(['generate'], path.join(root, 'churn-canary'), {
    ARGOCD_APP_SOURCE_PATH: 'churn-canary',
    ARGOCD_APP_NAMESPACE: 'ml-prod',
    ARGOCD_APP_PARAMETERS: params('warn'),
  });
  t.equal(warn.code, 0, 'warn mode renders anyway');
  t.match(warn.stderr, /would deny churn: .*CANARY_STEP_NOT_ALLOWED/);
  t.match(warn.stdout, /canaryTrafficPercent: 15/);
});

t.test('pre-flight parameters are validated', async (t) => {
  const root = repo(t);
  const cwd = path.join(root, 'churn-canary');
  const env = (p: string) => ({
    ARGOCD_APP_SOURCE_PATH: 'churn-canary',
    ARGOCD_APP_NAMESPACE: 'ml-prod',
    ARGOCD_APP_PARAMETERS: p,
  });
  t.match(await runCli(['generate'], cwd, env(params('enforce', ''))), {
    code: 2,
    stdout: '',
    stderr: /PARAM_INVALID .*policies/,
  });
  t.match(await runCli(['generate'], cwd, env(params('enforce', '../../etc'))), {
    code: 2,
    stdout: '',
    stderr: /PARAM_INVALID/,
  });
  t.match(await runCli(['generate'], cwd, env(params('enforce', 'nowhere'))), {
    code: 2,
    stdout: '',
    stderr: /SPEC_READ_FAILED|POLICY_READ_FAILED/,
  });
});

// Hand-written manifests pass through the folder unchanged; the pre-flight judges them like the
// rendered ones, each in the namespace it lands in.
const TAG = 'oci://registry.example.com/models/fraud:latest';
const PINNED = `oci://registry.example.com/models/fraud@${digestOf('fraud')}`;
const handWritten = (uri: string, namespace?: string) =>
  isvc({ name: 'handwritten', uri, evidence: [], ...(namespace ? { namespace } : {}) });

async function generateWith(
  root: string,
  manifest: unknown,
  preflight: string,
  destination?: string,
): Promise<CliResult> {
  writeFileSync(path.join(root, 'churn-canary/handwritten.yaml'), JSON.stringify(manifest));
  return runCli(['generate'], path.join(root, 'churn-canary'), {
    ARGOCD_APP_SOURCE_PATH: 'churn-canary',
    ...(destination !== undefined ? { ARGOCD_APP_NAMESPACE: destination } : {}),
    ARGOCD_APP_PARAMETERS: params(preflight),
  });
}

t.test('enforce: a pass-through InferenceService is checked too', async (t) => {
  const root = repo(t);
  const denied = await generateWith(root, handWritten(TAG), 'enforce', 'ml-prod');
  t.equal(denied.code, 1);
  t.equal(denied.stdout, '');
  t.match(denied.stderr, /DENIED handwritten: .*\[PIN_OCI_UNPINNED, policy production\]/);

  const pinned = await generateWith(root, handWritten(PINNED), 'enforce', 'ml-prod');
  t.equal(pinned.code, 0, pinned.stderr);
  t.match(pinned.stdout, /name: handwritten\n/);
  t.notMatch(pinned.stderr, /pre-flight/);
});

t.test('warn: a pass-through finding is reported and the output written', async (t) => {
  const root = repo(t);
  const r = await generateWith(root, handWritten(TAG), 'warn', 'ml-prod');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /would deny handwritten: .*PIN_OCI_UNPINNED/);
  t.match(r.stdout, /name: handwritten\n/);
});

t.test('each object is matched in its own namespace, else the destination', async (t) => {
  const root = repo(t);
  // production matches ml-prod only.
  const own = await generateWith(root, handWritten(TAG, 'ml-prod'), 'enforce', 'ml-dev');
  t.equal(own.code, 1, 'its own namespace is matched, not the destination');
  t.match(own.stderr, /DENIED handwritten: .*PIN_OCI_UNPINNED/);

  const dest = await generateWith(root, handWritten(TAG), 'enforce', 'ml-dev');
  t.equal(dest.code, 0, 'without one, the destination namespace is matched');
  t.notMatch(dest.stderr, /PIN_OCI_UNPINNED/);

  const elsewhere = await generateWith(root, handWritten(TAG, 'ml-dev'), 'enforce', 'ml-prod');
  t.equal(elsewhere.code, 0, 'an object landing outside ml-prod is not matched');

  // A rendered release that names its namespace is matched there too.
  const file = path.join(root, 'churn-canary/churn.modelrelease.yaml');
  writeFileSync(
    file,
    readFileSync(file, 'utf8')
      .replace('  name: churn\n', '  name: churn\n  namespace: ml-prod\n')
      .replace('traffic: 10', 'traffic: 15'),
  );
  const release = await generateWith(root, handWritten(PINNED), 'enforce', 'ml-dev');
  t.equal(release.code, 1);
  t.match(release.stderr, /DENIED churn: .*CANARY_STEP_NOT_ALLOWED/);
});

t.test('no namespace known: namespace criteria are assumed to match', async (t) => {
  const root = repo(t);
  const r = await generateWith(root, handWritten(TAG), 'enforce');
  t.equal(r.code, 1);
  t.match(r.stderr, /DENIED handwritten: .*\[PIN_OCI_UNPINNED, policy production\]/);
  t.equal((await generateWith(root, handWritten(PINNED), 'enforce')).code, 0);
});

t.test('an InferenceService inside a List is checked (Argo CD applies the items)', async (t) => {
  const root = repo(t);
  const list = { apiVersion: 'v1', kind: 'List', metadata: { name: 'bundle' }, items: [] };
  const r = await generateWith(root, { ...list, items: [handWritten(TAG)] }, 'enforce', 'ml-prod');
  t.equal(r.code, 1);
  t.match(r.stderr, /DENIED handwritten: .*PIN_OCI_UNPINNED/);
  const ok = await generateWith(
    root,
    { ...list, items: [handWritten(PINNED)] },
    'enforce',
    'ml-prod',
  );
  t.equal(ok.code, 0, ok.stderr);
});

t.test('only governed kinds are judged', async (t) => {
  const root = repo(t);
  const other = { ...handWritten(TAG), apiVersion: 'example.com/v1' };
  const r = await generateWith(root, other, 'enforce', 'ml-prod');
  t.equal(r.code, 0, 'another API group is not KServe');
  t.match(r.stdout, /apiVersion: example.com\/v1/);
});

t.test('a ClusterServingRuntime lands in no namespace: every policy judges it', async (t) => {
  const root = repo(t);
  const runtime = (image: string) => ({
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'ClusterServingRuntime',
    // A namespace written on a cluster-scoped object is dropped by the apiserver.
    metadata: { name: 'handwritten', namespace: 'ml-dev' },
    spec: {
      supportedModelFormats: [{ name: 'sklearn', version: '1', autoSelect: true }],
      containers: [{ name: 'kserve-container', image }],
    },
  });
  // production matches ml-prod only; the destination is elsewhere.
  const tag = await generateWith(root, runtime('kserve/sklearnserver:latest'), 'enforce', 'ml-dev');
  t.equal(tag.code, 1);
  t.match(tag.stderr, /DENIED handwritten: .*\[IMAGE_UNPINNED, policy production\]/);
  const pinned = await generateWith(
    root,
    runtime(`kserve/sklearnserver@${digestOf('sklearnserver')}`),
    'enforce',
    'ml-dev',
  );
  t.equal(pinned.code, 0, pinned.stderr);
});

t.test('the sidecar trusted roots (AVIARY_TRUSTED_ROOTS) replace public-good', async (t) => {
  // A genuine keyless-signed InferenceService passed through beside the rendered release.
  const root = repo(t);
  const signed = signedIsvc() as { metadata: Record<string, unknown> };
  signed.metadata['labels'] = { signed: 'keyless' };
  writeFileSync(path.join(root, 'churn-canary/signed.yaml'), stringify(signed));
  writeFileSync(
    path.join(root, 'policies/production.yaml'),
    stringify({
      apiVersion: 'aviary.dev/v1alpha1',
      kind: 'ModelReleasePolicy',
      metadata: { name: 'keyless' },
      spec: {
        match: { objectSelector: { matchLabels: { signed: 'keyless' } } },
        ...KEYLESS_POLICY_SPEC,
      },
    }),
  );
  const trust = path.join(root, 'policies');
  writeFileSync(path.join(trust, 'revoked.json'), withoutFulcio());
  writeFileSync(path.join(trust, 'bad.json'), NOT_A_ROOT);
  const generate = (env: Record<string, string>) =>
    runCli(['generate'], path.join(root, 'churn-canary'), {
      ARGOCD_APP_SOURCE_PATH: 'churn-canary',
      ARGOCD_APP_NAMESPACE: 'ml-prod',
      ARGOCD_APP_PARAMETERS: params('enforce'),
      ...env,
    });
  const builtIn = await generate({});
  t.equal(builtIn.code, 0, builtIn.stderr);
  const revoked = await generate({
    AVIARY_TRUSTED_ROOTS: `public-good=${path.join(trust, 'revoked.json')}`,
  });
  t.equal(revoked.code, 1);
  t.match(revoked.stderr, /pre-flight DENIED .*SIG_INVALID/);
  t.match(await generate({ AVIARY_TRUSTED_ROOTS: `public-good=${path.join(trust, 'bad.json')}` }), {
    code: 2,
    stderr: /TRUST_ROOT_INVALID/,
  });
  t.match(
    await generate({
      ARGOCD_ENV_AVIARY_TRUSTED_ROOTS: `public-good=${path.join(trust, 'revoked.json')}`,
    }),
    { code: 0 },
    "an Application's own env cannot change the trust",
  );
});
