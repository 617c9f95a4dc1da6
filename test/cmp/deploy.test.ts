// deploy/plugin/ checked against the Argo CD version the contract suite runs (test/cmp/peer/go.mod):
// plugin.yaml, the example Application against Argo CD's own Application CRD, and the sidecar as
// it lands on Argo CD's own repo-server manifests (kustomize Component and `kubectl patch`), all
// read from the Go module cache at test time. A server-side dry-run against a real kube-apiserver
// belongs to the cluster e2e suite.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { parseAllDocuments } from 'yaml';
import { EXAMPLES, REPO } from '../helpers/paths.js';
import { strictCrdValidator } from '../helpers/crd.js';
import {
  argoModuleDir,
  argoVersion,
  IMAGE_ROOT,
  parameterEnv,
  peer,
  runAviary,
  PLUGIN_DIR,
  readYaml,
  type PluginParameter,
} from './harness.js';

type Obj = Record<string, any>;

peer(); // makes sure the Argo CD module (and its manifests) is in the Go module cache
const ARGO = argoModuleDir();
const VERSION = argoVersion();
const pluginYamlText = readFileSync(path.join(PLUGIN_DIR, 'plugin.yaml'), 'utf8');
const plugin = readYaml(path.join(PLUGIN_DIR, 'plugin.yaml'));
const patch = readYaml(path.join(PLUGIN_DIR, 'repo-server-sidecar.yaml'));
const component = readYaml(path.join(PLUGIN_DIR, 'kustomization.yaml'));
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

const byName = (list: Obj[] | undefined, name: string) => list?.find((x) => x['name'] === name);

t.test(
  'plugin.yaml: a valid ConfigManagementPlugin with no shell and cheap discovery',
  async (t) => {
    t.equal(plugin['apiVersion'], 'argoproj.io/v1alpha1');
    t.equal(plugin['kind'], 'ConfigManagementPlugin', 'any other kind fails cmp-server start-up');
    t.equal(plugin['metadata']['name'], 'aviary');
    t.equal(plugin['spec']['version'], 'v1alpha1');
    // Argo CD ignores unknown keys silently (sigs.k8s.io/yaml, not strict): catch typos here.
    const known = [
      'version',
      'init',
      'generate',
      'discover',
      'parameters',
      'preserveFileMode',
      'provideGitCreds',
    ];
    t.same(
      Object.keys(plugin['spec']).filter((k) => !known.includes(k)),
      [],
      'only known spec keys',
    );
    const aviary = (command: string) => [
      'node',
      '--snapshot-blob',
      `${IMAGE_ROOT}/plugin/dist/snapshot/aviary.blob`,
      `${IMAGE_ROOT}/plugin/dist/snapshot/aviary.cjs`,
      command,
    ];
    t.same(plugin['spec']['generate'], { command: aviary('generate') });
    t.same(plugin['spec']['parameters'], { dynamic: { command: aviary('parameters') } });
    t.same(
      plugin['spec']['discover'],
      { fileName: '*.modelrelease.yaml' },
      'one cheap rule, no process',
    );
    t.notOk(plugin['spec']['init'], 'no init command');
    t.notOk(plugin['spec']['preserveFileMode'], 'file modes are reset');
    t.notOk(plugin['spec']['provideGitCreds'], 'no git credentials');
  },
);

t.test(
  'plugin/Dockerfile writes the files plugin.yaml starts, and sets no NODE_OPTIONS',
  async (t) => {
    const dockerfile = readFileSync(path.join(REPO, 'plugin/Dockerfile'), 'utf8');
    const image = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    t.match(image, new RegExp(`^WORKDIR ${IMAGE_ROOT}$`, 'm'), 'the root the harness maps');
    const [, , blob, script] = (plugin['spec']['generate']['command'] as string[]).map((p) =>
      path.posix.relative(IMAGE_ROOT, p),
    );
    t.ok(image.includes(`COPY --from=build /src/${script} ${script}\n`), `copies ${script}`);
    t.ok(
      image.includes(`--snapshot-blob ${blob} \\\n      --build-snapshot ${script}`),
      `this image's node writes ${blob} from it`,
    );
    t.notMatch(dockerfile, /NODE_OPTIONS/, 'other node processes in the sidecar start as usual');
  },
);

t.test(
  `application.example.yaml is valid against Argo CD ${VERSION}'s Application CRD`,
  async (t) => {
    const crd = path.join(ARGO, 'manifests/crds/application-crd.yaml');
    const validate = strictCrdValidator(crd, 'v1alpha1');
    const app = readYaml(path.join(PLUGIN_DIR, 'application.example.yaml'));
    t.ok(validate(app), 'schema-valid', { errors: validate.errors });
    t.equal(app['apiVersion'], 'argoproj.io/v1alpha1');
    t.equal(app['kind'], 'Application');

    const typo = structuredClone(app);
    typo['spec']['source']['plugin']['parameter'] = typo['spec']['source']['plugin']['parameters'];
    t.notOk(validate(typo), 'the strict schema catches a typo (plugin.parameter)');

    const source = app['spec']['source'] as Obj;
    t.equal(
      source['plugin']['name'],
      `${plugin['metadata']['name']}-${plugin['spec']['version']}`,
      'plugin.name is <metadata.name>-<spec.version>',
    );
    t.notOk(
      source['helm'] ?? source['kustomize'] ?? source['directory'],
      'plugin is the only source tool',
    );
    t.ok(
      readdirSync(path.join(EXAMPLES, source['path'])).some((f) =>
        f.endsWith('.modelrelease.yaml'),
      ),
      `the path (${source['path']}) is an example folder the discovery rule matches`,
    );

    // The parameters are ones aviary announces, with values it accepts.
    const params = source['plugin']['parameters'] as PluginParameter[];
    const r = runAviary(['parameters'], EXAMPLES, parameterEnv(params));
    t.equal(r.code, 0, r.stderr);
    const announced = JSON.parse(r.stdout) as Obj[];
    for (const p of params) {
      t.equal(
        byName(announced, p.name)?.['string'],
        p.string,
        `${p.name}: announced, value accepted`,
      );
    }
  },
);

t.test('repo-server-sidecar.yaml: the sidecar Argo CD documents', async (t) => {
  t.equal(patch['kind'], 'Deployment');
  t.equal(patch['metadata']['name'], 'argocd-repo-server');
  const spec = patch['spec']['template']['spec'] as Obj;
  const repoServer = byName(spec['containers'], 'argocd-repo-server')!;
  const excl = byName(repoServer['env'], 'ARGOCD_REPO_SERVER_PLUGIN_TAR_EXCLUSIONS');
  t.equal(excl?.['value'], '.git/*', 'the repo-server does not stream .git to the plugin');
  t.ok(
    excl && 'valueFrom' in excl && excl['valueFrom'] === null,
    "valueFrom: null drops Argo CD's own valueFrom",
  );

  const c = byName(spec['containers'], 'aviary')!;
  t.ok(c, 'an aviary container');
  t.same(c['command'], ['/var/run/argocd/argocd-cmp-server'], "entrypoint: Argo CD's cmp-server");
  t.notOk(c['args'], 'no args');
  t.match(c['securityContext'], {
    runAsNonRoot: true,
    runAsUser: 999,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
  });
  const mount = (p: string) => (c['volumeMounts'] as Obj[]).find((m) => m['mountPath'] === p);
  t.equal(mount('/var/run/argocd')?.['name'], 'var-files', 'var-files: the cmp-server binary');
  t.equal(mount('/home/argocd/cmp-server/plugins')?.['name'], 'plugins', 'plugins: the socket dir');
  const cfg = mount('/home/argocd/cmp-server/config/plugin.yaml');
  t.equal(cfg?.['subPath'], 'plugin.yaml', 'plugin.yaml at the default config path');
  t.same(byName(spec['volumes'], cfg?.['name'])?.['configMap'], { name: 'aviary-cmp-plugin' });
  const tmp = mount('/tmp');
  t.ok(tmp, 'its own /tmp');
  t.not(tmp?.['name'], 'tmp', "not the repo-server's tmp volume");
  t.same(byName(spec['volumes'], tmp?.['name'])?.['emptyDir'], {}, '/tmp is an emptyDir');
  t.equal((c['volumeMounts'] as Obj[]).length, 4, 'nothing else is mounted');
  const env = Object.fromEntries((c['env'] as Obj[]).map((e) => [e['name'], e['value']]));
  t.notOk(
    'NODE_OPTIONS' in env,
    'no NODE_OPTIONS: it would reach every process the cmp-server starts',
  );
  t.equal(env['HOME'], '/tmp', 'a writable HOME on a read-only root filesystem');

  t.equal(component['kind'], 'Component');
  t.same(component['configMapGenerator'], [
    { name: 'aviary-cmp-plugin', files: ['plugin.yaml'], options: { disableNameSuffixHash: true } },
  ]);
  t.same(component['patches'], [
    {
      path: 'repo-server-sidecar.yaml',
      target: { kind: 'Deployment', name: 'argocd-repo-server' },
    },
  ]);
});

/** Objects of a multi-document YAML text. */
const docs = (text: string): Obj[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);

function kubectlRun(args: string[], cwd?: string): string {
  const r = spawnSync('kubectl', args, { cwd, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Every check a kube-apiserver would make on the pieces the sidecar patch touches. */
function checkRepoServer(t: Test, dep: Obj, stock: Obj): void {
  const spec = dep['spec']['template']['spec'] as Obj;
  const volumes = new Map((spec['volumes'] as Obj[]).map((v) => [v['name'], v]));
  t.same(
    (spec['containers'] as Obj[]).map((c) => c['name']),
    ['argocd-repo-server', 'aviary'],
  );
  for (const c of [...spec['containers'], ...(spec['initContainers'] ?? [])] as Obj[]) {
    for (const m of c['volumeMounts'] ?? [])
      t.ok(volumes.has(m['name']), `${c['name']}: volume ${m['name']} is declared`);
    for (const e of c['env'] ?? [])
      t.notOk(
        'value' in e && 'valueFrom' in e,
        `${c['name']}: ${e['name']} has value or valueFrom, not both`,
      );
  }
  t.same(volumes.get('var-files')?.['emptyDir'], {}, 'var-files from the stock manifest');
  t.same(volumes.get('plugins')?.['emptyDir'], {}, 'plugins from the stock manifest');
  const copyutil = byName(spec['initContainers'], 'copyutil');
  t.match(copyutil?.['command'], Array, 'copyutil init container kept');
  t.ok(
    (copyutil?.['command'] as string[]).includes('/var/run/argocd/argocd-cmp-server'),
    'copyutil provides /var/run/argocd/argocd-cmp-server, the sidecar entrypoint',
  );
  const repoServer = byName(spec['containers'], 'argocd-repo-server')!;
  t.match(
    (repoServer['volumeMounts'] as Obj[]).find(
      (m) => m['mountPath'] === '/home/argocd/cmp-server/plugins',
    ),
    { name: 'plugins' },
    'the repo-server dials sockets in the same plugins volume',
  );
  const tmpVolume = (c: Obj) =>
    (c['volumeMounts'] as Obj[]).find((m) => m['mountPath'] === '/tmp')?.['name'];
  t.not(
    tmpVolume(byName(spec['containers'], 'aviary')!),
    tmpVolume(repoServer),
    'separate /tmp volumes',
  );
  t.same(byName(repoServer['env'], 'ARGOCD_REPO_SERVER_PLUGIN_TAR_EXCLUSIONS'), {
    name: 'ARGOCD_REPO_SERVER_PLUGIN_TAR_EXCLUSIONS',
    value: '.git/*',
  });
  const stockRepoServer = byName(
    stock['spec']['template']['spec']['containers'],
    'argocd-repo-server',
  )!;
  t.same(
    (repoServer['env'] as Obj[]).map((e) => e['name']).sort(),
    (stockRepoServer['env'] as Obj[]).map((e) => e['name']).sort(),
    'no repo-server env var added or lost',
  );
  t.same(repoServer['args'], stockRepoServer['args'], 'repo-server args untouched');
}

const stockInstall = path.join(ARGO, 'manifests/install.yaml');
const stockRepoServerFile = path.join(
  ARGO,
  'manifests/base/repo-server/argocd-repo-server-deployment.yaml',
);

t.test(
  `install/ overlay: Argo CD ${VERSION}'s install.yaml plus the Component`,
  { skip: !kubectl && 'kubectl not found' },
  async (t) => {
    const overlay = readFileSync(path.join(PLUGIN_DIR, 'install/kustomization.yaml'), 'utf8');
    const remote = `https://raw.githubusercontent.com/argoproj/argo-cd/${VERSION}/manifests/install.yaml`;
    t.match(overlay, remote, `pins the Argo CD version of the contract suite (${VERSION})`);
    // Same overlay, with the release's install.yaml from the module cache instead of the network.
    const dir = mkdtempSync(path.join(tmpdir(), 'aviary-kustomize-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    copyFileSync(stockInstall, path.join(dir, 'install.yaml'));
    writeFileSync(
      path.join(dir, 'kustomization.yaml'),
      overlay
        .replace(remote, 'install.yaml')
        .replace(/^(\s*- )\.\.$/m, `$1${path.relative(dir, PLUGIN_DIR)}`),
    );
    const out = docs(kubectlRun(['kustomize', dir]));
    const cm = out.find(
      (o) => o['kind'] === 'ConfigMap' && o['metadata']['name'] === 'aviary-cmp-plugin',
    );
    t.equal(cm?.['metadata']['namespace'], 'argocd');
    t.equal(cm?.['data']['plugin.yaml'], pluginYamlText, 'the ConfigMap holds plugin.yaml as is');
    const dep = out.find(
      (o) => o['kind'] === 'Deployment' && o['metadata']['name'] === 'argocd-repo-server',
    )!;
    const stock = docs(readFileSync(stockInstall, 'utf8')).find(
      (o) => o['kind'] === 'Deployment' && o['metadata']['name'] === 'argocd-repo-server',
    )!;
    checkRepoServer(t, dep, stock);
    t.equal(
      out.length,
      docs(readFileSync(stockInstall, 'utf8')).length + 1,
      'Argo CD unchanged otherwise: one object added (the ConfigMap)',
    );
  },
);

t.test(
  'without kustomize: kubectl patch with repo-server-sidecar.yaml',
  { skip: !kubectl && 'kubectl not found' },
  async (t) => {
    const patched = docs(
      kubectlRun([
        'patch',
        '--local',
        '-f',
        stockRepoServerFile,
        '--type',
        'strategic',
        '--patch-file',
        path.join(PLUGIN_DIR, 'repo-server-sidecar.yaml'),
        '-o',
        'yaml',
      ]),
    )[0]!;
    checkRepoServer(t, patched, docs(readFileSync(stockRepoServerFile, 'utf8'))[0]!);
  },
);
