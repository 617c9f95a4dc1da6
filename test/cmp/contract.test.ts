// The CMP contract against the REAL argocd-cmp-server (Argo CD v3.2.11, built by
// test/cmp/peer/build.sh) running deploy/plugin/plugin.yaml, driven over its unix socket by
// cmpclient, which uses the repo-server's own client code (util/cmp.SendRepoStream).
// Runs the built CLI from its start-up snapshot as plugin.yaml names it (plugin/dist/snapshot,
// mapped from the image's paths): `npm run build` first.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { goldenCases } from '../helpers/golden.js';
import { EXAMPLES, FIXTURES, REPO } from '../helpers/paths.js';
import {
  CmpServer,
  generateEnv,
  parametersEnv,
  peer,
  pluginYamlWithoutSnapshot,
  runAviary,
  tarExclusions,
  type AppSpec,
  type CallResult,
} from './harness.js';

const CMP_REPO = path.join(FIXTURES, 'cmp/repo');
if (!existsSync(path.join(REPO, 'plugin/dist/snapshot/aviary.blob')))
  throw new Error('plugin/dist/snapshot/aviary.blob is missing: run `npm run build` first');
const started = Date.now();
const server = await new CmpServer(peer()).start();
t.teardown(() => server.stop());

type Obj = Record<string, any>;

/**
 * GenerateManifest for `app` inside `repoRoot`, with the repo-server's env for that app, on the
 * suite's server unless another is given.
 */
function generate(
  repoRoot: string,
  app: AppSpec,
  opts: { timeout?: string; on?: CmpServer } = {},
): Promise<CallResult> {
  return (opts.on ?? server).call('generate', {
    repoRoot,
    appPath: app.path,
    env: generateEnv(app),
    exclude: tarExclusions(),
    ...(opts.timeout ? { timeout: opts.timeout } : {}),
  });
}

/** GetParametersAnnouncement for an example app, with the repo-server's env for that call. */
function announce(app: string, on: CmpServer = server): Promise<CallResult> {
  return on.call('parameters', {
    repoRoot: EXAMPLES,
    appPath: app,
    env: parametersEnv({ path: app }),
    exclude: tarExclusions(),
  });
}

/** The manifests of a successful GenerateManifest, parsed (one JSON string per object). */
function manifests(r: CallResult): Obj[] {
  if (r.status !== 0) throw new Error(`GenerateManifest failed: ${JSON.stringify(r.body)}`);
  return (r.body['manifests'] as string[]).map((m) => JSON.parse(m) as Obj);
}

/** The objects of a YAML stream, as Argo CD reads them (empty documents skipped). */
function yamlObjects(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

/** What `aviary render` prints for the same folder outside Argo CD. */
async function localRender(root: string, rel: string, args: string[] = []): Promise<Obj[]> {
  const r = runAviary(['render', path.join(root, rel), '--root', root, ...args], root, {});
  if (r.code !== 0) throw new Error(`aviary render failed: ${r.stderr}`);
  return yamlObjects(r.stdout);
}

const exampleCases = goldenCases().filter((c) => c.name.startsWith('examples/'));
const exampleDirs = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const releaseDirs = exampleDirs.filter((d) =>
  readdirSync(path.join(EXAMPLES, d)).some((f) => f.endsWith('.modelrelease.yaml')),
);

t.test('the cmp-server serves deploy/plugin/plugin.yaml on aviary-v1alpha1.sock', async (t) => {
  t.equal(path.basename(server.socket), 'aviary-v1alpha1.sock');
  t.ok(Buffer.byteLength(server.socket) < 100, `socket path is short: ${server.socket}`);
  t.same(readdirSync(server.socketDir), ['aviary-v1alpha1.sock'], 'the only socket in the dir');
  t.match(server.logText(), /argocd-cmp-server v3\.2\.11\S* serving on /);
});

t.test('CheckPluginConfiguration: discovery configured, no git credentials', async (t) => {
  const r = await server.call('check');
  t.equal(r.status, 0, JSON.stringify(r.body));
  t.equal(r.body['isDiscoveryConfigured'], true);
  t.equal(r.body['provideGitCreds'], false);
});

t.test(
  'MatchRepository: ModelRelease folders match; Helm, Kustomize and others do not',
  async (t) => {
    const cases: [string, string, boolean][] = [
      ...exampleDirs.map((d): [string, string, boolean] => [EXAMPLES, d, releaseDirs.includes(d)]),
      [CMP_REPO, 'no-mode', true],
      [CMP_REPO, 'helm-chart', false],
      [CMP_REPO, 'kustomize-app', false],
    ];
    t.same(releaseDirs, [
      'churn-canary',
      'fraud-detector',
      'recommender-standard',
      'sentiment-rollback',
    ]);
    const results = await Promise.all(
      cases.map(([root, dir]) =>
        server.call('match', {
          repoRoot: root,
          appPath: dir,
          env: generateEnv({ path: dir }),
          exclude: tarExclusions(),
        }),
      ),
    );
    cases.forEach(([, dir, expected], i) => {
      const r = results[i]!;
      t.equal(r.status, 0, `${dir}: ${JSON.stringify(r.body)}`);
      t.equal(r.body['isSupported'], expected, `${dir} ${expected ? 'matches' : 'does not match'}`);
      t.equal(r.body['isDiscoveryEnabled'], true, `${dir}: discovery enabled`);
    });
  },
);

t.test('GetParametersAnnouncement: a valid ParameterAnnouncement list', async (t) => {
  const r = await announce('fraud-detector');
  t.equal(r.status, 0, JSON.stringify(r.body));
  const list = r.body['parameterAnnouncements'] as Obj[];
  t.same(
    list.map((p) => p['name']),
    ['deployment-mode', 'namespace', 'preflight', 'policies'],
  );
  const fields = [
    'name',
    'title',
    'tooltip',
    'required',
    'itemType',
    'collectionType',
    'string',
    'array',
    'map',
  ];
  for (const p of list) {
    t.same(
      Object.keys(p).filter((k) => !fields.includes(k)),
      [],
      `${p['name']}: only ParameterAnnouncement fields`,
    );
    t.equal(p['collectionType'], 'string', `${p['name']}: collectionType string`);
    t.equal(p['itemType'], 'string');
    t.type(p['title'], 'string');
    t.ok(String(p['title']).length > 0 && String(p['tooltip']).length > 0, 'title and tooltip');
    t.notOk(p['array'] ?? p['map'], 'no array or map default');
  }
  // Defaults (Go omits empty strings, so `namespace` and `policies` carry none).
  const value = (n: string) => list.find((p) => p['name'] === n)?.['string'];
  t.equal(value('deployment-mode'), 'Knative');
  t.equal(value('preflight'), 'off');
  t.notOk(value('namespace'));
  t.notOk(value('policies'));

  // The reduced env of this call path still carries the Application's values; the UI shows them.
  const set = await server.call('parameters', {
    repoRoot: EXAMPLES,
    appPath: 'fraud-detector',
    env: parametersEnv({
      path: 'fraud-detector',
      env: { AVIARY_NAMESPACE: 'ml-prod' },
      parameters: [{ name: 'deployment-mode', string: 'Standard' }],
    }),
  });
  t.equal(set.status, 0, JSON.stringify(set.body));
  const now = set.body['parameterAnnouncements'] as Obj[];
  t.equal(now.find((p) => p['name'] === 'namespace')?.['string'], 'ml-prod');
  t.equal(now.find((p) => p['name'] === 'deployment-mode')?.['string'], 'Standard');
});

t.test('GenerateManifest: every example equals the golden output', async (t) => {
  t.same(
    exampleCases.map((c) => path.basename(c.appDir)),
    releaseDirs,
    'a golden file for every example with releases',
  );
  for (const c of exampleCases) {
    const dir = path.basename(c.appDir);
    const r = await generate(EXAMPLES, { path: dir, namespace: 'ml-prod' });
    t.equal(r.status, 0, `${dir}: ${JSON.stringify(r.body).slice(0, 2000)}`);
    if (r.status !== 0) continue;
    t.equal(r.body['sourceType'], '', `${dir}: sourceType is left empty by the cmp-server`);
    const got = manifests(r);
    const want = yamlObjects(readFileSync(c.expected, 'utf8'));
    t.ok(want.length > 0, `${dir}: golden has objects`);
    t.strictSame(
      got,
      want,
      `${dir}: after Go's YAML→JSON, the objects (same order, same types) of ${path.relative(FIXTURES, c.expected)}`,
    );
    for (const o of got) t.notOk(o['metadata']?.['namespace'], `${dir}: no namespace by default`);
  }
});

t.test('without the start-up snapshot, the same commands serve the same', async (t) => {
  const plain = await new CmpServer(peer(), { pluginYaml: pluginYamlWithoutSnapshot() }).start();
  t.teardown(() => plain.stop());
  for (const c of exampleCases) {
    const dir = path.basename(c.appDir);
    const app = { path: dir, namespace: 'ml-prod' };
    const fast = await generate(EXAMPLES, app);
    const slow = await generate(EXAMPLES, app, { on: plain });
    t.equal(slow.status, 0, `${dir}: ${JSON.stringify(slow.body).slice(0, 2000)}`);
    t.same(slow.body['manifests'], fast.body['manifests'], `${dir}: the same manifests`);
  }
  const params = await announce('churn-canary', plain);
  t.equal(params.status, 0, JSON.stringify(params.body));
  t.ok(Array.isArray(params.body['parameterAnnouncements']), 'parameters announced');
});

t.test(
  'GenerateManifest: nested app path, .git excluded as the sidecar patch configures',
  async (t) => {
    const repo = mkdtempSync(path.join(tmpdir(), 'aviary-cmp-repo-'));
    t.teardown(() => rmSync(repo, { recursive: true, force: true }));
    cpSync(EXAMPLES, path.join(repo, 'ml/releases'), { recursive: true });
    mkdirSync(path.join(repo, '.git/objects'), { recursive: true });
    writeFileSync(path.join(repo, '.git/objects/pack'), Buffer.alloc(1 << 20));
    t.same(tarExclusions(), ['.git/*']);
    const r = await generate(repo, { path: 'ml/releases/churn-canary', namespace: 'ml-prod' });
    t.same(
      manifests(r),
      yamlObjects(readFileSync(path.join(FIXTURES, 'golden/examples/churn-canary.yaml'), 'utf8')),
      'signature paths resolve against the repository root, not the app folder',
    );
  },
);

t.test(
  'GenerateManifest with --plugin-use-manifest-generate-paths (tar root below the repo root)',
  async (t) => {
    // The repo-server then sends only the common root of the app's manifest-generate-paths
    // (annotation ".;../signatures" on ml/releases/churn-canary: root ml/releases), while
    // ARGOCD_APP_SOURCE_PATH stays the repository path of the app.
    const r = await server.call('generate', {
      repoRoot: EXAMPLES,
      appPath: 'churn-canary',
      env: generateEnv({ path: 'ml/releases/churn-canary' }),
    });
    t.equal(r.status, 0, JSON.stringify(r.body['error'] ?? {}));
    t.strictSame(
      manifests(r),
      yamlObjects(readFileSync(path.join(FIXTURES, 'golden/examples/churn-canary.yaml'), 'utf8')),
      'signatures resolve against the tar root',
    );
  },
);

t.test('GenerateManifest: concurrent requests are isolated', async (t) => {
  const apps = [...releaseDirs, ...releaseDirs];
  const results = await Promise.all(apps.map((dir) => generate(EXAMPLES, { path: dir })));
  apps.forEach((dir, i) => {
    const want = yamlObjects(
      readFileSync(path.join(FIXTURES, `golden/examples/${dir}.yaml`), 'utf8'),
    );
    t.same(manifests(results[i]!), want, `${dir} (request ${i})`);
  });
});

t.test('parameters and plugin env on the request change the output', async (t) => {
  const plain = manifests(await generate(EXAMPLES, { path: 'churn-canary', namespace: 'ml-prod' }));

  t.test('namespace parameter adds metadata.namespace, nothing else', async (t) => {
    const got = manifests(
      await generate(EXAMPLES, {
        path: 'churn-canary',
        namespace: 'ml-prod',
        parameters: [{ name: 'namespace', string: 'ml-staging' }],
      }),
    );
    t.equal(got.length, plain.length);
    for (const [i, o] of got.entries()) {
      t.equal(o['metadata']['namespace'], 'ml-staging');
      const copy = structuredClone(o);
      delete copy['metadata']['namespace'];
      t.same(copy, plain[i], 'otherwise identical');
    }
  });

  t.test('deployment-mode parameter: Standard for a release without a mode', async (t) => {
    const knative = manifests(await generate(CMP_REPO, { path: 'no-mode' }));
    t.equal(knative[0]?.['metadata']['annotations']['serving.kserve.io/deploymentMode'], 'Knative');
    t.equal(knative[0]?.['spec']['predictor']['canaryTrafficPercent'], 25);
    t.same(knative, await localRender(CMP_REPO, 'no-mode'), 'default: as aviary render');

    const standard = manifests(
      await generate(CMP_REPO, {
        path: 'no-mode',
        parameters: [{ name: 'deployment-mode', string: 'Standard' }],
      }),
    );
    const isvc = standard[0]!;
    t.equal(isvc['metadata']['annotations']['serving.kserve.io/deploymentMode'], 'Standard');
    t.notOk(isvc['spec']['predictor']['canaryTrafficPercent'], 'no canaryTrafficPercent');
    t.equal(isvc['spec']['predictor']['model']['storageUri'], 's3://models-prod/spam/1.0.0/');
    t.match(isvc['spec']['canary'], [
      { trafficPercent: 25, predictor: { model: { storageUri: 's3://models-prod/spam/1.1.0/' } } },
    ]);
    t.same(
      standard,
      await localRender(CMP_REPO, 'no-mode', ['--mode', 'Standard']),
      'as aviary render --mode Standard',
    );

    const viaEnv = manifests(
      await generate(CMP_REPO, { path: 'no-mode', env: { AVIARY_DEPLOYMENT_MODE: 'Standard' } }),
    );
    t.same(
      viaEnv,
      standard,
      'ARGOCD_ENV_AVIARY_DEPLOYMENT_MODE (spec.source.plugin.env) works too',
    );

    const paramWins = manifests(
      await generate(CMP_REPO, {
        path: 'no-mode',
        env: { AVIARY_DEPLOYMENT_MODE: 'Standard' },
        parameters: [{ name: 'deployment-mode', string: 'Knative' }],
      }),
    );
    t.same(paramWins, knative, 'a parameter takes precedence over plugin env');

    // PARAM_* alone (ARGOCD_APP_PARAMETERS unset), as documented in plugin/README.md.
    const env = generateEnv({ path: 'no-mode' });
    delete env['ARGOCD_APP_PARAMETERS'];
    const paramOnly = await server.call('generate', {
      repoRoot: CMP_REPO,
      appPath: 'no-mode',
      env: { ...env, PARAM_DEPLOYMENT_MODE: 'Standard' },
    });
    t.same(
      manifests(paramOnly),
      standard,
      'PARAM_DEPLOYMENT_MODE when ARGOCD_APP_PARAMETERS is unset',
    );

    const explicit = manifests(
      await generate(EXAMPLES, {
        path: 'churn-canary',
        namespace: 'ml-prod',
        parameters: [{ name: 'deployment-mode', string: 'Standard' }],
      }),
    );
    t.same(explicit, plain, "a release's own spec.deployment.mode wins over the parameter");
  });

  t.test('an invalid or hostile parameter fails the request, nothing is run', async (t) => {
    const r = await generate(EXAMPLES, {
      path: 'churn-canary',
      parameters: [{ name: 'namespace', string: '$(touch /tmp/pwned); ns' }],
    });
    t.equal(r.status, 1);
    t.equal(r.body['error']?.['code'], 'Unknown');
    t.match(
      r.body['error']?.['message'],
      /`node --snapshot-blob \S+ \S+ generate` failed exit status 2: .*PARAM_INVALID/,
    );
    const unknown = await generate(EXAMPLES, {
      path: 'churn-canary',
      parameters: [{ name: 'replicas', string: '3' }],
    });
    t.match(unknown.body['error']?.['message'], /PARAM_INVALID unknown parameter "replicas"/);
  });
});

t.test('a broken release: file:line: CODE in the gRPC error, no manifests', async (t) => {
  const r = await generate(CMP_REPO, { path: 'broken' });
  t.equal(r.status, 1, JSON.stringify(r.body));
  t.notOk(r.body['manifests'], 'no manifests');
  const { code, message } = r.body['error'] as { code: string; message: string };
  t.equal(code, 'Unknown');
  t.match(
    message,
    /^error generating manifests: `node --snapshot-blob \S+ \S+ generate` failed exit status 2: /,
  );
  t.match(
    message,
    /(^|: )broken\/bad\.modelrelease\.yaml:12:5: SPEC_SCHEMA .*\(at spec\.stable\.digest\)$/m,
  );
  t.match(
    message,
    /^broken\/bad\.modelrelease\.yaml:16:5: SPEC_SCHEMA .*\(at spec\.canary\.traffic\)$/m,
  );
  t.match(message, /aviary: 2 problems; no manifests were written$/);
  t.notMatch(message, /\n\s+at /, 'no stack trace');
  t.notMatch(message, /_cmp_server/, 'no server work-dir paths');
});

t.test('zero releases is an error, never an empty success', async (t) => {
  const match = await server.call('match', {
    repoRoot: CMP_REPO,
    appPath: 'no-releases',
    env: generateEnv({ path: 'no-releases' }),
  });
  t.equal(
    match.body['isSupported'],
    true,
    'a *.modelrelease.yaml file without releases still matches',
  );
  for (const [root, dir] of [
    [CMP_REPO, 'no-releases'],
    [EXAMPLES, 'keys'],
  ] as const) {
    const r = await generate(root, { path: dir });
    t.equal(r.status, 1, `${dir}: ${JSON.stringify(r.body)}`);
    t.notOk(r.body['manifests'], `${dir}: no (empty) manifest list`);
    t.match(
      r.body['error']?.['message'],
      /`node --snapshot-blob \S+ \S+ generate` failed exit status 2: .*SPEC_NO_RELEASES/,
    );
  }
});

/** Waits up to `ms` for `pid` to be gone (a zombie awaiting its reaper counts as gone). */
async function gone(pid: number, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      process.kill(pid, 0);
      if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return true;
    } catch {
      return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('past the deadline: killed cleanly, reported, and the server stays healthy', async (t) => {
  for (const shield of [false, true]) {
    t.test(
      shield
        ? 'aviary under a shell (gets only SIGTERM)'
        : 'aviary as the direct child (plugin.yaml)',
      async (t) => {
        for (const f of ['aviary.pid', 'stalled'])
          rmSync(path.join(server.stateDir, f), { force: true });
        const since = server.logs.length;
        const begin = Date.now();
        const r = await generate(
          EXAMPLES,
          {
            path: 'churn-canary',
            env: { CMP_TEST_STALL: '1', ...(shield ? { CMP_TEST_SHIELD: '1' } : {}) },
          },
          { timeout: '2s' },
        );
        const elapsed = Date.now() - begin;
        t.ok(
          existsSync(path.join(server.stateDir, 'stalled')),
          'aviary was running (SIGTERM handler installed)',
        );
        t.equal(r.status, 1, JSON.stringify(r.body));
        t.notOk(r.body['manifests'], 'no manifests');
        t.match(r.body['error']?.['code'], /^(Unknown|DeadlineExceeded)$/);
        t.ok(elapsed < 4000, `the client got its answer at the deadline (${elapsed} ms)`);

        const [finished] = await server.waitFinished('GenerateManifest', since);
        t.ok(finished, 'the server finished the call');
        t.not(finished?.['grpc.code'], 'OK');
        const reported = `${finished?.['grpc.error'] ?? ''}\n${r.body['error']?.['message'] ?? ''}`;
        t.match(
          reported,
          /`node --snapshot-blob \S+ \S+ generate` failed (signal: (killed|terminated)|exit status 143)/,
          'the kill is reported',
        );
        if (shield) {
          t.match(
            reported,
            /aviary: terminated \(SIGTERM\); no manifests were written/,
            "aviary's own message reaches the error",
          );
        }
        t.ok(
          Number(finished?.['grpc.time_ms']) < 3000,
          `server-side time ${finished?.['grpc.time_ms']} ms`,
        );

        const pid = Number(readFileSync(path.join(server.stateDir, 'aviary.pid'), 'utf8'));
        t.ok(await gone(pid), `aviary (pid ${pid}) is gone`);
        t.same(
          readdirSync(path.join(server.workDir, '_cmp_server')),
          [],
          'the request work dir was removed',
        );

        t.ok(server.running, 'the cmp-server is still running');
        const check = await server.call('check');
        t.equal(
          check.body['isDiscoveryConfigured'],
          true,
          'CheckPluginConfiguration still answers',
        );
        const next = await generate(EXAMPLES, { path: 'churn-canary' });
        t.same(
          manifests(next),
          yamlObjects(
            readFileSync(path.join(FIXTURES, 'golden/examples/churn-canary.yaml'), 'utf8'),
          ),
          'the next request succeeds',
        );
      },
    );
  }
});

t.test('the server log: every RPC finished, the generate command line logged', async (t) => {
  const finished = server.finished();
  t.ok(finished.length > 20, `${finished.length} calls`);
  const methods = new Set(finished.map((l) => l['grpc.method']));
  t.same([...methods].sort(), [
    'CheckPluginConfiguration',
    'GenerateManifest',
    'GetParametersAnnouncement',
    'MatchRepository',
  ]);
  t.ok(
    server.logs.some(
      (l) =>
        /^node --snapshot-blob \S+ \S+ generate$/.test(l['msg'] ?? '') &&
        String(l['dir']).includes('_cmp_server'),
    ),
    'the cmp-server logs the argv and the unpacked app dir',
  );
  t.notMatch(server.logText(), /Plugin command returned zero output/, 'never an empty success');
  t.comment(`contract suite: ${Date.now() - started} ms including server start`);
});
