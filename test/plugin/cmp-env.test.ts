import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { spawnAviary } from '../helpers/cli.js';
import { EXAMPLES, FIXTURES } from '../helpers/paths.js';

/**
 * `aviary` as argocd-cmp-server runs it: a child process in the unpacked app folder, with the
 * environment of each Argo CD call path (argocd-cmp.md §2.2).
 */
function repo(t: Test): string {
  const root = t.testdir({});
  cpSync(EXAMPLES, root, { recursive: true });
  return root;
}

const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

t.test('GenerateManifest with a plugin section: the full environment', async (t) => {
  const root = repo(t);
  const r = await spawnAviary(['generate'], path.join(root, 'churn-canary'), {
    ARGOCD_APP_NAME: 'churn',
    ARGOCD_APP_NAMESPACE: 'ml-prod',
    ARGOCD_APP_PROJECT_NAME: 'default',
    ARGOCD_APP_REVISION: SHA,
    ARGOCD_APP_REVISION_SHORT: SHA.slice(0, 7),
    ARGOCD_APP_REVISION_SHORT_8: SHA.slice(0, 8),
    ARGOCD_APP_SOURCE_REPO_URL: 'https://git.example.com/ml/releases.git',
    ARGOCD_APP_SOURCE_PATH: 'churn-canary',
    ARGOCD_APP_SOURCE_TARGET_REVISION: 'HEAD',
    KUBE_VERSION: '',
    KUBE_API_VERSIONS: 'serving.kserve.io/v1beta1,serving.kserve.io/v1beta1/InferenceService,v1',
    ARGOCD_ENV_AVIARY_PREFLIGHT: 'off',
    ARGOCD_APP_PARAMETERS: '[{"name":"deployment-mode","string":"Knative"}]',
    PARAM_DEPLOYMENT_MODE: 'Knative',
  });
  t.equal(r.code, 0, r.stderr);
  t.equal(
    r.stdout,
    readFileSync(path.join(FIXTURES, 'golden/examples/churn-canary.yaml'), 'utf8'),
    'same bytes as the golden file',
  );
  t.notMatch(r.stdout, /app\.kubernetes\.io\/instance/);
});

t.test('auto-detected app: only ARGOCD_APP_*, no parameters or KUBE_*', async (t) => {
  const root = repo(t);
  const r = await spawnAviary(['generate'], path.join(root, 'recommender-standard'), {
    ARGOCD_APP_NAME: 'argocd_recommender',
    ARGOCD_APP_NAMESPACE: '',
    ARGOCD_APP_PROJECT_NAME: 'default',
    ARGOCD_APP_REVISION: SHA,
    ARGOCD_APP_REVISION_SHORT: SHA.slice(0, 7),
    ARGOCD_APP_REVISION_SHORT_8: SHA.slice(0, 8),
    ARGOCD_APP_SOURCE_REPO_URL: 'https://git.example.com/ml/releases.git',
    ARGOCD_APP_SOURCE_PATH: 'recommender-standard',
    ARGOCD_APP_SOURCE_TARGET_REVISION: 'HEAD',
  });
  t.equal(r.code, 0, r.stderr);
  t.equal(
    r.stdout,
    readFileSync(path.join(FIXTURES, 'golden/examples/recommender-standard.yaml'), 'utf8'),
  );
});

t.test('GetParametersAnnouncement: no namespace, revision or KUBE_*', async (t) => {
  const root = repo(t);
  const r = await spawnAviary(['parameters'], path.join(root, 'fraud-detector'), {
    ARGOCD_APP_NAME: 'fraud',
    ARGOCD_APP_SOURCE_REPO_URL: 'https://git.example.com/ml/releases.git',
    ARGOCD_APP_SOURCE_PATH: 'fraud-detector',
    ARGOCD_APP_SOURCE_TARGET_REVISION: 'HEAD',
    ARGOCD_ENV_AVIARY_NAMESPACE: 'ml-prod',
    ARGOCD_APP_PARAMETERS: 'null',
  });
  t.equal(r.code, 0, r.stderr);
  const announced = JSON.parse(r.stdout) as Record<string, unknown>[];
  t.ok(Array.isArray(announced), 'a JSON array, as Argo CD requires');
  for (const a of announced)
    t.match(a, {
      name: String,
      title: String,
      tooltip: String,
      collectionType: 'string',
      string: String,
    });
  t.equal(announced.find((a) => a['name'] === 'namespace')?.['string'], 'ml-prod');
});

t.test('a failing generate: non-zero exit, nothing on stdout, file:line on stderr', async (t) => {
  const root = t.testdir({
    app: {
      'x.modelrelease.yaml':
        'apiVersion: aviary.dev/v1alpha1\nkind: ModelRelease\nmetadata: {name: x}\nspec:\n  model: {format: sklearn}\n  stable: {uri: s3://m/1/, digest: nope}\n',
    },
  });
  const r = await spawnAviary(['generate'], path.join(root, 'app'), {
    ARGOCD_APP_SOURCE_PATH: 'app',
  });
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
  t.match(r.stderr, /^app\/x\.modelrelease\.yaml:6:\d+: SPEC_SCHEMA /m);
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

t.test('a hostile parameter fails before anything is read', async (t) => {
  const root = repo(t);
  const r = await spawnAviary(['generate'], path.join(root, 'churn-canary'), {
    ARGOCD_APP_SOURCE_PATH: 'churn-canary',
    ARGOCD_APP_PARAMETERS: '[{"name":"namespace","string":"$(touch /tmp/pwned); ns"}]',
  });
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
  t.match(r.stderr, /PARAM_INVALID/);
});
