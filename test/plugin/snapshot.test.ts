import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { AVIARY_BIN, EXAMPLES, REPO, SHARED } from '../helpers/paths.js';

/**
 * The start-up snapshot (plugin/dist/snapshot/aviary.blob, written by `npm run build`) must be
 * the same CLI as the plain bin: same stdout bytes, stderr and exit code for every command, only
 * started faster. It is started as deploy/plugin/plugin.yaml starts it.
 */
const BLOB = path.join(REPO, 'plugin/dist/snapshot/aviary.blob');
const SCRIPT = path.join(REPO, 'plugin/dist/snapshot/aviary.cjs');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function aviary(snapshot: boolean, argv: string[], cwd: string, env: Record<string, string> = {}) {
  const start = snapshot ? ['--snapshot-blob', BLOB, SCRIPT] : [AVIARY_BIN];
  const r = spawnSync(process.execPath, [...start, ...argv], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr } satisfies Outcome;
}

function sameEverywhere(
  t: Test,
  argv: string[],
  cwd: string,
  env: Record<string, string> = {},
): Outcome {
  const plain = aviary(false, argv, cwd, env);
  t.same(aviary(true, argv, cwd, env), plain, `${argv.join(' ')}: snapshot = plain bin`);
  return plain;
}

t.before(() => {
  if (!existsSync(BLOB)) throw new Error(`${BLOB} is missing: run npm run build first`);
});

t.test('generate: every example folder renders the same bytes', async (t) => {
  const root = t.testdir({});
  cpSync(EXAMPLES, root, { recursive: true });
  const apps = readdirSync(root).filter((d) =>
    readdirSync(path.join(root, d)).some((f) => f.endsWith('.modelrelease.yaml')),
  );
  t.ok(apps.length >= 4, 'all examples found');
  for (const app of apps) {
    const r = sameEverywhere(t, ['generate'], path.join(root, app), {
      ARGOCD_APP_SOURCE_PATH: app,
      ARGOCD_APP_NAMESPACE: 'ml-prod',
    });
    t.equal(r.code, 0, `${app}: ${r.stderr}`);
    t.match(r.stdout, /^kind: InferenceService$/m);
  }
});

t.test('generate with a Standard-mode parameter and with a broken spec', async (t) => {
  const root = t.testdir({});
  cpSync(EXAMPLES, root, { recursive: true });
  const app = path.join(root, 'churn-canary');
  const std = sameEverywhere(t, ['generate'], app, {
    ARGOCD_APP_SOURCE_PATH: 'churn-canary',
    ARGOCD_APP_PARAMETERS: '[{"name":"deployment-mode","string":"Standard"}]',
  });
  t.equal(std.code, 0, std.stderr);
  const file = path.join(app, 'churn.modelrelease.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('traffic: 10', 'traffic: 101'));
  const bad = sameEverywhere(t, ['generate'], app, { ARGOCD_APP_SOURCE_PATH: 'churn-canary' });
  t.match(bad, { code: 2, stdout: '', stderr: /churn\.modelrelease\.yaml:\d+:\d+: SPEC_SCHEMA/ });
});

t.test('parameters, help and an unknown command', async (t) => {
  const params = sameEverywhere(t, ['parameters'], REPO, { ARGOCD_APP_PARAMETERS: 'null' });
  t.equal(params.code, 0);
  t.ok(Array.isArray(JSON.parse(params.stdout)));
  t.equal(sameEverywhere(t, ['help'], REPO).code, 0);
  t.equal(sameEverywhere(t, ['nope'], REPO).code, 2);
});

t.test('commands outside the CMP work too, including the shipped trusted root', async (t) => {
  const check = sameEverywhere(
    t,
    [
      'check',
      '--policies',
      'policies/catalog',
      'deploy/examples/gitops/churn-canary/churn.modelrelease.yaml',
    ],
    REPO,
  );
  t.equal(check.code, 0, check.stderr);
  // A keyless authority resolves policies/trust/public-good.json at run time.
  const vector = path.join(SHARED, 'vectors/model-transparency/v1.1.0-sigstore/model.sig');
  const payload = (
    JSON.parse(readFileSync(vector, 'utf8')) as { dsseEnvelope: { payload: string } }
  ).dsseEnvelope.payload;
  const statement = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as {
    subject: { digest: { sha256: string } }[];
  };
  const dir = t.testdir({
    'keyless.yaml': [
      'apiVersion: aviary.dev/v1alpha1',
      'kind: ModelReleasePolicy',
      'metadata: { name: keyless }',
      'spec:',
      '  signatures:',
      '    required: true',
      '    authorities:',
      '      - name: ibm',
      '        keyless: { issuer: "https://sigstore.verify.ibm.com/oauth2", subject: stefanb@us.ibm.com }',
      '',
    ].join('\n'),
  });
  const verify = sameEverywhere(
    t,
    [
      'verify',
      '--policies',
      path.join(dir, 'keyless.yaml'),
      '--bundle',
      vector,
      '--digest',
      `sha256:${statement.subject[0]!.digest.sha256}`,
    ],
    REPO,
  );
  t.equal(verify.code, 0, verify.stderr);
  t.match(verify.stdout, /^VERIFIED /m);
});
