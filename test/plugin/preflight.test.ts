import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { runCli } from '../helpers/cli.js';
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
