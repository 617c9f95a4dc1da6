import { execFile } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { parseAllDocuments } from 'yaml';
import type { KubernetesObject } from '@kubernetes/client-node';
import { runCli } from '../helpers/cli.js';
import { EXAMPLES, REPO, SHARED } from '../helpers/paths.js';
import { apply, startCluster, waitEstablished, type Cluster } from './cluster.js';

const run = promisify(execFile);

/**
 * Every manifest under deploy/ is accepted by a real kube-apiserver (v1.37) in a server-side
 * dry-run: schema-valid against the real CRDs (KServe v0.20.0, cert-manager, Argo CD, our own)
 * and every API version served.
 */
function docs(text: string): KubernetesObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS({ maxAliasCount: -1 }) as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null && typeof o === 'object' && 'kind' in o);
}

async function tools(): Promise<Record<string, string>> {
  const { stdout } = await run('bash', [path.join(REPO, 'test/e2e/peer/tools.sh')], {
    maxBuffer: 1 << 24,
  });
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
}

/** The error an apply was refused with; undefined when it was accepted. */
function refusal(p: Promise<unknown>): Promise<{ status?: number; body?: unknown } | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => e as { status?: number; body?: unknown },
  );
}

async function applyCrds(c: Cluster, files: string[]): Promise<void> {
  for (const file of files) {
    for (const crd of docs(readFileSync(file, 'utf8'))) {
      await apply(c, crd);
      await waitEstablished(c, crd.metadata!.name!);
    }
  }
}

async function dryRunAll(
  t: Test,
  c: Cluster,
  objects: KubernetesObject[],
  label: string,
): Promise<void> {
  t.ok(objects.length > 0, `${label}: has objects`);
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
    try {
      await apply(c, o, true);
      t.pass(`${label}: ${id}`);
    } catch (err) {
      t.fail(`${label}: ${id}`, { error: (err as { body?: unknown }).body ?? String(err) });
    }
  }
}

t.test('deploy/ against a real apiserver', { timeout: 600_000 }, async (t) => {
  const [cluster, tool] = await Promise.all([startCluster(), tools()]);
  t.teardown(() => cluster.stop());
  const kustomize = tool['KUSTOMIZE']!;
  const certManager = path.join(tool['CERT_MANAGER_DIR']!, 'deploy/crds');
  const argocd = tool['ARGOCD_DIR']!;

  await applyCrds(cluster, [
    ...['inferenceservices', 'trainedmodels', 'servingruntimes', 'clusterservingruntimes'].map(
      (plural) => path.join(SHARED, `crds/serving.kserve.io_${plural}.yaml`),
    ),
    path.join(REPO, 'deploy/webhook/crd/modelreleasepolicies.aviary.dev.yaml'),
    path.join(certManager, 'cert-manager.io_certificates.yaml'),
    path.join(certManager, 'cert-manager.io_issuers.yaml'),
    path.join(argocd, 'manifests/crds/application-crd.yaml'),
    path.join(argocd, 'manifests/crds/appproject-crd.yaml'),
    path.join(
      tool['FLUX_SOURCE_DIR']!,
      'config/crd/bases/source.toolkit.fluxcd.io_ocirepositories.yaml',
    ),
    path.join(
      tool['FLUX_KUSTOMIZE_DIR']!,
      'config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml',
    ),
  ]);
  for (const ns of ['aviary-system', 'argocd', 'ml-prod', 'flux-system']) {
    await apply(cluster, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  }

  const webhook = (
    await run(kustomize, ['build', path.join(REPO, 'deploy/webhook')], { maxBuffer: 1 << 26 })
  ).stdout;
  await dryRunAll(t, cluster, docs(webhook), 'deploy/webhook');

  // The analyzer: a Deployment and a token-less ServiceAccount, nothing cluster-scoped.
  const analyzer = docs(
    (await run(kustomize, ['build', path.join(REPO, 'deploy/analyzer')], { maxBuffer: 1 << 26 }))
      .stdout,
  );
  t.same(analyzer.map((o) => o.kind).sort(), ['Deployment', 'ServiceAccount']);
  await dryRunAll(t, cluster, analyzer, 'deploy/analyzer');

  // deploy/plugin is a kustomize Component over Argo CD's own install: build it the way
  // deploy/plugin/install/ does, with the release's install.yaml from the module cache.
  const overlay = t.testdir({});
  cpSync(path.join(argocd, 'manifests/install.yaml'), path.join(overlay, 'argocd-install.yaml'));
  writeFileSync(
    path.join(overlay, 'kustomization.yaml'),
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: argocd\nresources:\n  - argocd-install.yaml\ncomponents:\n  - ${path.relative(overlay, path.join(REPO, 'deploy/plugin'))}\n`,
  );
  const plugin = docs((await run(kustomize, ['build', overlay], { maxBuffer: 1 << 26 })).stdout);
  const repoServer = plugin.find(
    (o) => o.kind === 'Deployment' && o.metadata?.name === 'argocd-repo-server',
  ) as any;
  const sidecar = repoServer?.spec.template.spec.containers.find((x: any) => x.name === 'aviary');
  t.match(sidecar, {
    command: ['/var/run/argocd/argocd-cmp-server'],
    securityContext: { runAsUser: 999, readOnlyRootFilesystem: true },
  });
  await dryRunAll(
    t,
    cluster,
    plugin.filter((o) => o.kind !== 'CustomResourceDefinition'),
    'deploy/plugin',
  );
  await dryRunAll(
    t,
    cluster,
    docs(readFileSync(path.join(REPO, 'deploy/plugin/application.example.yaml'), 'utf8')),
    'application example',
  );

  // The same dry-run refuses what it should, so the passes above mean something.
  const typo = {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'typo', namespace: 'ml-prod' },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageURI: 's3://m/1/' } } },
  };
  // kube-apiserver answers an undeclared field in a server-side apply with 500 "field not declared
  // in schema" (seen on v1.37.2), so the message is asserted, not the status.
  t.match(
    await refusal(apply(cluster, typo, true)),
    { body: { message: /storageURI: field not declared in schema/ } },
    'an unknown field (storageURI) is refused',
  );
  const badTraffic = {
    ...typo,
    spec: {
      predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 's3://m/1/' } },
      canary: [
        {
          trafficPercent: 101,
          predictor: {
            name: 'c',
            model: { modelFormat: { name: 'sklearn' }, name: 'kserve-container' },
          },
        },
      ],
    },
  };
  t.match(
    await refusal(apply(cluster, badTraffic, true)),
    { status: 422 },
    'a canary share of 101 is refused by the CRD',
  );
  const badPolicy = {
    apiVersion: 'aviary.dev/v1alpha1',
    kind: 'ModelReleasePolicy',
    metadata: { name: 'bad' },
    spec: { mode: 'block' },
  };
  t.match(
    await refusal(apply(cluster, badPolicy, true)),
    { status: 422 },
    'a policy with an unknown mode is refused by our CRD',
  );

  for (const app of readdirSync(EXAMPLES).sort()) {
    if (app === 'signatures' || app === 'keys' || !statSync(path.join(EXAMPLES, app)).isDirectory())
      continue;
    const r = await runCli(['render', path.join(EXAMPLES, app), '--namespace', 'ml-prod'], REPO);
    t.equal(r.code, 0, r.stderr);
    await dryRunAll(t, cluster, docs(r.stdout), `examples/${app}`);
    // The same rendering as files (`render --out`, for Flux), each file applied on its own.
    const out = path.join(overlay, `out-${app}`);
    const o = await runCli(
      ['render', path.join(EXAMPLES, app), '--namespace', 'ml-prod', '--out', out],
      REPO,
    );
    t.equal(o.code, 0, o.stderr);
    for (const f of readdirSync(out).sort())
      await dryRunAll(t, cluster, docs(readFileSync(path.join(out, f), 'utf8')), `--out ${f}`);
  }
  for (const f of ['ocirepository.yaml', 'kustomization.flux.yaml'])
    await dryRunAll(
      t,
      cluster,
      docs(readFileSync(path.join(REPO, 'deploy/examples/flux', f), 'utf8')),
      `examples/flux/${f}`,
    );
});

t.test('the webhook Deployment uses every file of the aviary-trust ConfigMap', async (t) => {
  const kustomize = (await tools())['KUSTOMIZE']!;
  const objects = docs(
    (await run(kustomize, ['build', path.join(REPO, 'deploy/webhook')], { maxBuffer: 1 << 26 }))
      .stdout,
  ) as (KubernetesObject & Record<string, any>)[];
  const trust = objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.name === 'aviary-trust');
  const deployment = objects.find((o) => o.kind === 'Deployment');
  const pod = deployment?.spec?.template?.spec;
  const volume = pod?.volumes?.find((v: any) => v.configMap?.name === 'aviary-trust');
  const container = pod?.containers?.find((c: any) =>
    c.volumeMounts?.some((m: any) => m.name === volume?.name),
  );
  const mount = container?.volumeMounts?.find((m: any) => m.name === volume?.name);
  t.ok(trust && volume && mount, 'the ConfigMap is mounted');
  const files = Object.keys({ ...trust?.data, ...trust?.binaryData });
  t.ok(files.length > 0, 'it holds files');
  for (const file of files) {
    const name = file.replace(/\.json$/, '');
    t.ok(
      (container.args as string[]).includes(`--trusted-root=${name}=${mount.mountPath}/${file}`),
      `${file} is passed as --trusted-root=${name}=…`,
    );
  }
});
