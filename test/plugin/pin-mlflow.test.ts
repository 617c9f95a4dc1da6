import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { freePort, registerVersions, startMlflow } from '../pin/mlflow.js';
import { POLICIES, boundDigest, exampleRepo, pinPeers, signModel } from '../pin/support.js';

// A real MLflow 3.17 tracking server (PyPI, cached venv) on loopback with a sqlite backend and a
// file artifact root; two versions registered by MLflow's own client, the alias moved from 1 to 2.
t.setTimeout(300_000);
const { modelSigning, mlflowPython } = pinPeers();
const work = mkdtempSync(path.join(tmpdir(), 'aviary-pin-mlflow-'));
const [server, proxied] = await Promise.all([
  startMlflow(mlflowPython, work, 'file'),
  startMlflow(mlflowPython, work, 'proxied'),
]);
t.teardown(() => {
  server.stop();
  proxied.stop();
  rmSync(work, { recursive: true, force: true });
});
const model = (v: string) => {
  const dir = path.join(work, 'train', v);
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  writeFileSync(path.join(dir, 'MLmodel'), `artifact_path: model\nversion: "${v}"\n`);
  writeFileSync(path.join(dir, 'data/weights.bin'), `weights ${v}`);
  return dir;
};
const v1 = model('1.0.0');
const v2 = model('2.0.0');
const versions = registerVersions(mlflowPython, server.url, 'churn', 'champion', v1, v2);
const proxiedVersions = registerVersions(mlflowPython, proxied.url, 'churn', 'champion', v1, v2);
const bundle = signModel(modelSigning, v2, path.join(work, 'churn-3.0.0.sigstore.json'));
const DIGEST = boundDigest(bundle);
const ROOT = `file://${path.join(work, 'artifacts')}/`;
const MAP = ['--storage-map', `${ROOT}=gs://models-prod/mlartifacts/`];
const CHURN = 'churn-canary/churn.modelrelease.yaml';

let n = 0;
const repo = () => exampleRepo(path.join(work, `repo-${n++}`));
const read = (r: string) => readFileSync(path.join(r, CHURN), 'utf8');
const pin = (r: string, args: string[], env: Record<string, string> = {}) =>
  runCli(
    [
      'pin',
      path.join(r, CHURN),
      '--policies',
      POLICIES,
      '--namespace',
      'ml-prod',
      '--release',
      'churn',
      '--canary',
      ...args,
    ],
    work,
    env,
  );

t.test(
  'pins through the alias: the version it names now, recorded as models:/NAME/VERSION',
  async (t) => {
    const r = repo();
    const before = read(r);
    const res = await pin(r, [
      '--traffic',
      '20',
      '--from',
      'models:/churn@champion',
      '--mlflow',
      server.url,
      ...MAP,
      '--model-dir',
      v2,
      '--signature',
      bundle,
    ]);
    t.equal(res.code, 0, res.stderr);
    const uri = `gs://models-prod/mlartifacts/${versions['2']!.slice(ROOT.length)}/`;
    const after = read(r);
    const x = before.split('\n');
    t.same(
      after.split('\n').filter((l, i) => l !== x[i]),
      [
        `    uri: ${uri}`,
        `    digest: ${DIGEST}`,
        '    signature: ../signatures/churn-3.0.0.sigstore.json',
        '    traffic: 20',
        '    source: models:/churn/2',
        '',
      ],
      'only the pinned fields; source added after them',
    );
    t.match(res.stdout, /source models:\/churn\/2 /);
    const check = await runCli(
      ['check', '--policies', POLICIES, '--namespace', 'ml-prod', path.join(r, CHURN)],
      work,
    );
    t.equal(check.code, 0, check.stdout + check.stderr);
  },
);

t.test("the registry's own copy is a digest source, and must agree", async (t) => {
  const r = repo();
  // No --model-dir: the file artifact root is readable here, so its copy gives the digest.
  const ok = await pin(r, [
    '--from',
    `models:/churn/2`,
    '--mlflow',
    server.url,
    ...MAP,
    '--signature',
    bundle,
  ]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(read(r), `    digest: ${DIGEST}\n`);
  t.match(read(r), '    traffic: 10\n', 'the running share kept');
  // Version 1 is not what was signed.
  const r2 = repo();
  const before = read(r2);
  const bad = await pin(r2, [
    '--from',
    'models:/churn/1',
    '--mlflow',
    server.url,
    ...MAP,
    '--model-dir',
    v2,
  ]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /PIN_DIGEST_CONFLICT/);
  t.equal(read(r2), before);
});

t.test(
  'behind the artifact proxy: mlflow-artifacts: mapped, the copy read through the proxy',
  async (t) => {
    const r = repo();
    const before = read(r);
    const proxy = [
      '--mlflow',
      proxied.url,
      '--storage-map',
      'mlflow-artifacts:/=s3://models-prod/mlartifacts/',
    ];
    // No --model-dir: the proxy serves the registry's copy, whose root digest is what was signed.
    const res = await pin(r, ['--from', 'models:/churn@champion', ...proxy, '--signature', bundle]);
    t.equal(res.code, 0, res.stderr);
    t.match(proxiedVersions['2'], /^mlflow-artifacts:\//);
    const uri = `s3://models-prod/mlartifacts/${proxiedVersions['2']!.slice('mlflow-artifacts:/'.length)}/`;
    const x = before.split('\n');
    t.same(
      read(r)
        .split('\n')
        .filter((l, i) => l !== x[i]),
      [
        `    uri: ${uri}`,
        `    digest: ${DIGEST}`,
        '    signature: ../signatures/churn-3.0.0.sigstore.json',
        '    source: models:/churn/2',
        '',
      ],
      'only the pinned fields; the running share kept',
    );
    // Version 1's copy is not what --model-dir holds; and unmapped, the proxy's scheme is refused.
    for (const [args, pattern] of [
      [['--from', 'models:/churn/1', ...proxy, '--model-dir', v2], /PIN_DIGEST_CONFLICT/],
      [
        ['--from', 'models:/churn/2', '--mlflow', proxied.url, '--model-dir', v2],
        /PIN_URI_UNREADABLE/,
      ],
    ] as const) {
      const r2 = repo();
      const b = read(r2);
      const bad = await pin(r2, [...args]);
      t.equal(bad.code, 2);
      t.match(bad.stderr, pattern);
      t.equal(read(r2), b);
    }
  },
);

t.test('unknown model, version or alias; bad references; unmapped locations', async (t) => {
  const cases: [string, string[], Record<string, string>, number, RegExp][] = [
    [
      'unknown alias',
      ['--from', 'models:/churn@nope', '--mlflow', server.url],
      {},
      2,
      /MLFLOW_NOT_FOUND/,
    ],
    [
      'unknown model',
      ['--from', 'models:/nope/1', '--mlflow', server.url],
      {},
      2,
      /MLFLOW_NOT_FOUND/,
    ],
    [
      'unknown version',
      ['--from', 'models:/churn/7', '--mlflow', server.url],
      {},
      2,
      /MLFLOW_NOT_FOUND/,
    ],
    [
      'latest',
      ['--from', 'models:/churn/latest', '--mlflow', server.url],
      {},
      2,
      /MLFLOW_REF_INVALID/,
    ],
    [
      'a stage',
      ['--from', 'models:/churn/Production', '--mlflow', server.url],
      {},
      2,
      /MLFLOW_REF_INVALID/,
    ],
    ['no tracking URI', ['--from', 'models:/churn/2'], {}, 2, /USAGE_INVALID/],
    [
      'unmapped file:// location',
      ['--from', 'models:/churn/2', '--model-dir', v2],
      { MLFLOW_TRACKING_URI: server.url },
      2,
      /PIN_URI_UNREADABLE/,
    ],
  ];
  for (const [name, args, env, code, pattern] of cases) {
    const r = repo();
    const before = read(r);
    const res = await pin(r, args, env);
    t.equal(res.code, code, `${name}: exit`);
    t.match(res.stderr, pattern, name);
    t.equal(read(r), before, `${name}: untouched`);
  }
});

t.test('a registry that fails: exit 4 with a code', async (t) => {
  // A stand-in server, because the real MLflow cannot be made to answer 401, 500, garbage or
  // nothing on demand; it speaks only the failure, never a success.
  const seen: string[] = [];
  let behaviour: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
  const fake = createServer((req, res) => {
    seen.push(req.headers.authorization ?? '');
    behaviour(req, res);
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    fake.closeAllConnections();
    fake.close();
  });
  const url = `http://127.0.0.1:${(fake.address() as { port: number }).port}`;
  const answer = (status: number, body: string) => (_: IncomingMessage, res: ServerResponse) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  const cases: [string, (q: IncomingMessage, s: ServerResponse) => void, string, RegExp][] = [
    ['401', answer(401, '{"error_code":"UNAUTHENTICATED"}'), url, /MLFLOW_UNAUTHORIZED/],
    [
      '500',
      answer(500, '{"error_code":"INTERNAL_ERROR","message":"db down"}'),
      url,
      /MLFLOW_ERROR .*500/,
    ],
    ['non-JSON', answer(200, '<html>proxy login</html>'), url, /MLFLOW_BAD_RESPONSE/],
    [
      'too large',
      answer(200, `{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`),
      url,
      /MLFLOW_RESPONSE_TOO_LARGE/,
    ],
    ['silent', () => undefined, url, /MLFLOW_TIMEOUT/],
    ['unreachable', () => undefined, `http://127.0.0.1:${await freePort()}`, /MLFLOW_UNREACHABLE/],
  ];
  for (const [name, b, target, pattern] of cases) {
    behaviour = b;
    const r = repo();
    const before = read(r);
    const res = await pin(r, ['--from', 'models:/churn@champion', '--mlflow', target], {
      MLFLOW_HTTP_REQUEST_TIMEOUT: '1',
    });
    t.equal(res.code, 4, `${name}: exit`);
    t.match(res.stderr, pattern, name);
    t.equal(read(r), before, `${name}: untouched`);
  }
  // Credentials as MLflow's clients send them.
  seen.length = 0;
  behaviour = answer(401, '{}');
  await pin(repo(), ['--from', 'models:/churn/1', '--mlflow', url], {
    MLFLOW_TRACKING_TOKEN: 't0k',
  });
  await pin(repo(), ['--from', 'models:/churn/1', '--mlflow', url], {
    MLFLOW_TRACKING_USERNAME: 'ci',
    MLFLOW_TRACKING_PASSWORD: 'pw',
  });
  t.same(seen, ['Bearer t0k', `Basic ${Buffer.from('ci:pw').toString('base64')}`]);
});
