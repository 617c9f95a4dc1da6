import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import type { KubernetesObject } from '@kubernetes/client-node';
import { formatArtifacts } from '@aviary/policies';
import { startServer, type RunningServer } from '../../webhook/src/server.js';
import { runCli } from '../helpers/cli.js';
import { EXAMPLES, REPO, SHARED } from '../helpers/paths.js';
import { apply, request, startCluster, waitEstablished, type Cluster } from './cluster.js';

/**
 * The webhook in cluster mode against a real kube-apiserver (v1.37): policies are
 * ModelReleasePolicy custom resources, the apiserver calls the webhook through a real
 * ValidatingWebhookConfiguration, and every verdict is read from the apiserver's answer.
 */
const CASES = path.join(REPO, 'policies/catalog/tests/cases');
const ISVC = '/apis/serving.kserve.io/v1beta1/namespaces';
const KSERVE_V1ALPHA1 = '/apis/serving.kserve.io/v1alpha1';
/** The KServe v0.20.0 CRDs of every governed kind. */
const KSERVE_CRDS = [
  'inferenceservices',
  'trainedmodels',
  'servingruntimes',
  'clusterservingruntimes',
].map((plural) => path.join(SHARED, `crds/serving.kserve.io_${plural}.yaml`));
const POLICIES = '/apis/aviary.dev/v1alpha1/modelreleasepolicies';
const NAMESPACE_PATH = '/api/v1/namespaces';

function docs(text: string): any[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS({ maxAliasCount: -1 }) as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null && typeof o === 'object' && 'kind' in o);
}
const yamlFile = (file: string): any[] => docs(readFileSync(file, 'utf8'));
const caseObject = (name: string): any => yamlFile(path.join(CASES, `${name}.yaml`))[0];
async function rendered(dir: string): Promise<any> {
  const r = await runCli(['render', dir], REPO);
  if (r.code !== 0) throw new Error(`render ${dir}: ${r.stderr}`);
  return docs(r.stdout).find((o) => o.kind === 'InferenceService');
}
function named(obj: any, name: string, namespace: string): any {
  const copy = structuredClone(obj);
  copy.metadata = { ...copy.metadata, name, namespace };
  delete copy.metadata.resourceVersion;
  return copy;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test(
  'admission through a real apiserver, policies from the cluster',
  { timeout: 600_000 },
  async (t) => {
    const started = Date.now();
    const c: Cluster = await startCluster();
    t.teardown(() => c.stop());
    for (const file of [
      ...KSERVE_CRDS,
      path.join(REPO, 'deploy/webhook/crd/modelreleasepolicies.aviary.dev.yaml'),
    ]) {
      for (const crd of yamlFile(file)) {
        await apply(c, crd);
        await waitEstablished(c, crd.metadata.name);
      }
    }
    for (const ns of ['ml-prod', 'ml-canary', 'ml-dyn', 'aviary-system'])
      await apply(c, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await apply(c, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ml-sel', labels: { 'aviary-e2e': 'selected' } },
    });

    // The catalog as custom resources, plus production's rules scoped to ml-canary (no signatures).
    const catalog = ['production', 'production-signatures', 'staging'].map(
      (n) => yamlFile(path.join(REPO, `policies/catalog/${n}.yaml`))[0],
    );
    for (const p of catalog) await apply(c, p);
    const production = catalog[0];
    const canaryPolicy = structuredClone(production);
    canaryPolicy.metadata = { name: 'e2e-canary' };
    canaryPolicy.spec.match = { namespaces: ['ml-canary'] };
    await apply(c, canaryPolicy);

    // The webhook, in-process, serving the cluster's webhook certificate on loopback.
    const dir = mkdtempSync(path.join(tmpdir(), 'aviary-admission-'));
    writeFileSync(path.join(dir, 'tls.crt'), c.webhookCert);
    writeFileSync(path.join(dir, 'tls.key'), c.webhookKey);
    const kubeconfigFile = path.join(dir, 'kubeconfig');
    writeFileSync(kubeconfigFile, c.kubeconfig.exportConfig());
    const serve = (port: number) =>
      startServer({
        cluster: { kubeconfigFile, backoffMs: { initial: 200, max: 2000 } },
        tls: { cert: path.join(dir, 'tls.crt'), key: path.join(dir, 'tls.key') },
        port,
        host: '127.0.0.1',
        logger: { level: process.env['AVIARY_E2E_LOG'] ?? 'silent' },
      });
    let server: RunningServer | undefined = await serve(0);
    t.teardown(() => server?.close());
    const port = server.port;
    await server.cluster!.waitSynced();
    t.same(
      server.state.snapshot?.names,
      ['e2e-canary', 'production', 'production-signatures', 'staging'],
      'the CRs are the policy set',
    );

    // The shipped registration (both webhooks, the platform's exemption list), pointed at the
    // loopback webhook instead of the in-cluster Service.
    const shipped = yamlFile(path.join(REPO, 'deploy/webhook/validating-webhook.yaml'))[0];
    const registration = (webhooks: any[]) => {
      const vwc = structuredClone(shipped);
      vwc.metadata = { name: 'aviary-e2e' };
      vwc.webhooks = webhooks.map((w: any) => ({
        ...w,
        clientConfig: {
          url: `https://127.0.0.1:${port}/validate`,
          caBundle: Buffer.from(c.caPem).toString('base64'),
        },
      }));
      return vwc;
    };
    await apply(c, registration(shipped.webhooks));

    const create = (obj: any, dryRun = false) =>
      request(
        c,
        'POST',
        `${ISVC}/${obj.metadata.namespace}/inferenceservices${dryRun ? '?dryRun=All' : ''}`,
        obj,
      );
    const update = async (obj: any, dryRun = false) => {
      const p = `${ISVC}/${obj.metadata.namespace}/inferenceservices/${obj.metadata.name}`;
      const current = await request(c, 'GET', p);
      const body = structuredClone(obj);
      body.metadata.resourceVersion = current.body.metadata.resourceVersion;
      return request(c, 'PUT', `${p}${dryRun ? '?dryRun=All' : ''}`, body);
    };
    /** Polls `attempt` until `ok` holds (bounded); returns the last answer. */
    const until = async <T>(attempt: () => Promise<T>, ok: (r: T) => boolean, ms = 20_000) => {
      const deadline = Date.now() + ms;
      let r = await attempt();
      while (!ok(r) && Date.now() < deadline) {
        await sleep(250);
        r = await attempt();
      }
      return r;
    };
    const msg = (r: { body: any }) => String(r.body?.message ?? JSON.stringify(r.body));

    const unpinned = named(caseObject('oci-tag'), 'fraud-unpinned', 'ml-prod');
    // Webhook configuration changes take a few seconds to reach the admission chain.
    const first = await until(
      () => create(unpinned, true),
      (r) => /PIN_OCI_UNPINNED/.test(msg(r)),
      30_000,
    );
    t.match(
      msg(first),
      /admission webhook "inferenceservices.aviary.dev" denied the request: denied by Aviary/,
      'the webhook is in the admission chain',
    );

    await t.test('CREATE verdicts, stored and dryRun=All', async (t) => {
      const signed = named(
        await rendered(path.join(EXAMPLES, 'fraud-detector')),
        'fraud-detector',
        'ml-prod',
      );
      const unsigned = named(
        await rendered(path.join(CASES, 'signed/unsigned')),
        'fraud-unsigned',
        'ml-prod',
      );
      const tampered = named(
        await rendered(path.join(CASES, 'signed/tampered')),
        'fraud-tampered',
        'ml-prod',
      );
      const above = named(caseObject('canary-v2-60'), 'fraud-above', 'ml-prod');
      for (const dryRun of [true, false]) {
        const label = dryRun ? ' (dryRun=All)' : '';
        const ok = await create(signed, dryRun);
        t.equal(ok.status, 201, `a pinned, signed InferenceService is created${label}`, {
          body: ok.body,
        });
        for (const [obj, code, what] of [
          [unpinned, 'PIN_OCI_UNPINNED', 'unpinned'],
          [unsigned, 'SIG_MISSING', 'unsigned'],
          [tampered, 'SIG_', 'tampered signature'],
          [above, 'CANARY_ABOVE_MAX', 'canary above the policy'],
        ] as const) {
          const r = await create(obj, dryRun);
          t.equal(r.status, 403, `${what}: refused${label}`);
          t.ok(msg(r).includes(code), `${what}: the client sees ${code}${label}`, {
            message: msg(r),
          });
        }
      }
    });

    await t.test(
      'TrainedModels and serving runtimes: pinned and unpinned, allowed and denied',
      async (t) => {
        const post = (collection: string, obj: any, dryRun = false) =>
          request(c, 'POST', `${collection}${dryRun ? '?dryRun=All' : ''}`, obj);
        const tms = (ns: string) => `${KSERVE_V1ALPHA1}/namespaces/${ns}/trainedmodels`;
        const srs = (ns: string) => `${KSERVE_V1ALPHA1}/namespaces/${ns}/servingruntimes`;
        const csrs = `${KSERVE_V1ALPHA1}/clusterservingruntimes`;
        const refused = (r: { status: number; body: any }, code: string, what: string) => {
          t.equal(r.status, 403, `${what}: refused`, { body: r.body });
          t.ok(msg(r).includes(code), `${what}: the client sees ${code}`, { message: msg(r) });
        };

        // TrainedModel: the model location and its evidence, as on an InferenceService.
        const signed = named(
          await rendered(path.join(EXAMPLES, 'fraud-detector')),
          'fraud-detector',
          'ml-prod',
        );
        const trainedModel = (name: string, ns: string, uri: string, artifacts?: string) => ({
          apiVersion: 'serving.kserve.io/v1alpha1',
          kind: 'TrainedModel',
          metadata: {
            name,
            namespace: ns,
            ...(artifacts ? { annotations: { 'aviary.dev/artifacts': artifacts } } : {}),
          },
          spec: {
            inferenceService: 'fraud-detector',
            model: { framework: 'sklearn', memory: '1Gi', storageUri: uri },
          },
        });
        const uri = 's3://models-prod/x/';
        // ml-canary: pinning without signatures (e2e-canary).
        for (const dryRun of [true, false]) {
          const label = dryRun ? ' (dryRun=All)' : '';
          refused(
            await post(tms('ml-canary'), trainedModel('tm-bare', 'ml-canary', uri), dryRun),
            'PIN_EVIDENCE_MISSING',
            `a TrainedModel without evidence${label}`,
          );
        }
        const modelDigest = `sha256:${'ab'.repeat(32)}`;
        const evidence = formatArtifacts([{ uri, digest: modelDigest }]);
        const pinned = await post(
          tms('ml-canary'),
          trainedModel('tm-pinned', 'ml-canary', uri, evidence),
        );
        t.equal(pinned.status, 201, 'a TrainedModel with an evidence digest is created', {
          body: pinned.body,
        });
        // ml-prod: signatures too. The rendered release's evidence carries the release key's bundle.
        const signedUri = signed.spec.predictor.model.storageUri;
        const signedEvidence = signed.metadata.annotations['aviary.dev/artifacts'];
        const withBundle = await post(
          tms('ml-prod'),
          trainedModel('tm-signed', 'ml-prod', signedUri, signedEvidence),
        );
        t.equal(withBundle.status, 201, 'a signed TrainedModel is created in ml-prod', {
          body: withBundle.body,
        });
        refused(
          await post(
            tms('ml-prod'),
            trainedModel(
              'tm-unsigned',
              'ml-prod',
              signedUri,
              formatArtifacts([{ uri: signedUri, digest: modelDigest }]),
            ),
            true,
          ),
          'SIG_MISSING',
          'a TrainedModel with a digest but no signature in ml-prod',
        );

        // ServingRuntime and ClusterServingRuntime: every container image pinned by digest.
        const runtime = (kind: string, name: string, image: string, ns?: string) => ({
          apiVersion: 'serving.kserve.io/v1alpha1',
          kind,
          metadata: { name, ...(ns ? { namespace: ns } : {}) },
          spec: {
            supportedModelFormats: [{ name: 'sklearn', version: '1', autoSelect: true }],
            protocolVersions: ['v1', 'v2'],
            containers: [
              {
                name: 'kserve-container',
                image,
                args: ['--model_name={{.Name}}', '--model_dir=/mnt/models', '--http_port=8080'],
                resources: { requests: { cpu: '1', memory: '2Gi' } },
              },
            ],
          },
        });
        const tag = 'kserve/sklearnserver:latest';
        const digest = `kserve/sklearnserver@sha256:${'cd'.repeat(32)}`;
        for (const dryRun of [true, false]) {
          const label = dryRun ? ' (dryRun=All)' : '';
          refused(
            await post(srs('ml-prod'), runtime('ServingRuntime', 'sr-tag', tag, 'ml-prod'), dryRun),
            'IMAGE_UNPINNED',
            `a ServingRuntime image by tag${label}`,
          );
          refused(
            await post(csrs, runtime('ClusterServingRuntime', 'csr-tag', tag), dryRun),
            'IMAGE_UNPINNED',
            `a ClusterServingRuntime image by tag${label}`,
          );
        }
        // Policies for ml-prod and for ml-canary alike judge the cluster-scoped runtime.
        const everywhere = await post(csrs, runtime('ClusterServingRuntime', 'csr-tag', tag), true);
        for (const policy of ['production', 'e2e-canary'])
          t.ok(
            msg(everywhere).includes(`[IMAGE_UNPINNED, policy ${policy}]`),
            `a ClusterServingRuntime is judged by ${policy}`,
          );
        const sr = await post(srs('ml-prod'), runtime('ServingRuntime', 'sr', digest, 'ml-prod'));
        t.equal(sr.status, 201, 'a ServingRuntime pinned by digest is created', { body: sr.body });
        // A ServingRuntime where no policy applies is not judged; a ClusterServingRuntime has no
        // namespace and is judged by every policy.
        const free = await post(
          srs('ml-dyn'),
          runtime('ServingRuntime', 'sr', tag, 'ml-dyn'),
          true,
        );
        t.equal(free.status, 201, 'a ServingRuntime by tag where no policy applies is created');
        const csr = await post(csrs, runtime('ClusterServingRuntime', 'csr', digest));
        t.equal(csr.status, 201, 'a ClusterServingRuntime pinned by digest is created', {
          body: csr.body,
        });
        // UPDATE of a cluster-scoped object: back to a tag is refused.
        const current = await request(c, 'GET', `${csrs}/csr`);
        const retag = structuredClone(current.body);
        retag.spec.containers[0].image = tag;
        refused(
          await request(c, 'PUT', `${csrs}/csr?dryRun=All`, retag),
          'IMAGE_UNPINNED',
          'a ClusterServingRuntime updated to a tag',
        );
      },
    );

    await t.test('UPDATE: a permitted canary step passes, a jump is refused', async (t) => {
      const stable = named(caseObject('stable-v1'), 'fraud', 'ml-canary');
      t.equal((await create(stable)).status, 201, 'stable v1 created');
      const step = named(caseObject('canary-v2-10'), 'fraud', 'ml-canary');
      t.equal((await update(step, true)).status, 200, 'stable → 10% canary allowed (dryRun=All)');
      t.equal((await update(step)).status, 200, 'stable → 10% canary allowed');
      const jump = named(caseObject('canary-v2-50'), 'fraud', 'ml-canary');
      for (const dryRun of [true, false]) {
        const r = await update(jump, dryRun);
        t.equal(r.status, 403, `10% → 50% refused${dryRun ? ' (dryRun=All)' : ''}`);
        t.match(msg(r), /CANARY_INCREASE_TOO_LARGE/);
      }
      const next = named(caseObject('canary-v2-25'), 'fraud', 'ml-canary');
      t.equal((await update(next)).status, 200, '10% → 25% allowed');
    });

    await t.test(
      'a policy CR created, changed and deleted changes decisions within seconds',
      async (t) => {
        const obj = named(caseObject('oci-tag'), 'dyn', 'ml-dyn');
        t.equal((await create(obj, true)).status, 201, 'no policy matches ml-dyn: allowed');
        const dyn = structuredClone(production);
        dyn.metadata = { name: 'e2e-dyn' };
        dyn.spec.match = { namespaces: ['ml-dyn'] };
        await apply(c, dyn);
        let at = Date.now();
        let r = await until(
          () => create(obj, true),
          (r) => r.status === 403,
        );
        t.match(
          msg(r),
          /\[PIN_OCI_UNPINNED, policy e2e-dyn\]/,
          `created: refused after ${Date.now() - at} ms`,
        );
        dyn.spec.mode = 'warn';
        await apply(c, dyn);
        at = Date.now();
        r = await until(
          () => create(obj, true),
          (r) => r.status === 201,
        );
        t.equal(r.status, 201, `changed to warn: allowed after ${Date.now() - at} ms`);
        dyn.spec.mode = 'enforce';
        await apply(c, dyn);
        r = await until(
          () => create(obj, true),
          (r) => r.status === 403,
        );
        t.equal(r.status, 403, 'back to enforce: refused');
        at = Date.now();
        t.equal((await request(c, 'DELETE', `${POLICIES}/e2e-dyn`)).status, 200);
        r = await until(
          () => create(obj, true),
          (r) => r.status === 201,
        );
        t.equal(r.status, 201, `deleted: allowed after ${Date.now() - at} ms`);
      },
    );

    await t.test('namespaceSelector uses the namespace labels from the informer', async (t) => {
      const sel = structuredClone(production);
      sel.metadata = { name: 'e2e-selector' };
      sel.spec.match = { namespaceSelector: { matchLabels: { 'aviary-e2e': 'selected' } } };
      await apply(c, sel);
      const inSel = named(caseObject('oci-tag'), 'sel', 'ml-sel');
      const r = await until(
        () => create(inSel, true),
        (r) => r.status === 403,
      );
      t.match(msg(r), /policy e2e-selector/, 'a labelled namespace is selected');
      const other = named(caseObject('oci-tag'), 'sel', 'ml-dyn');
      t.equal((await create(other, true)).status, 201, 'an unlabelled namespace is not');
      await request(c, 'DELETE', `${POLICIES}/e2e-selector`);
    });

    const POLICY_WEBHOOK = /admission webhook "modelreleasepolicies.aviary.dev" denied the request/;
    const post = (obj: unknown, query = '') => request(c, 'POST', `${POLICIES}${query}`, obj);

    await t.test(
      'invalid policies are refused when written, whatever the field validation',
      async (t) => {
        const bad = {
          apiVersion: 'aviary.dev/v1alpha1',
          kind: 'ModelReleasePolicy',
          metadata: { name: 'bad-mode' },
          spec: { mode: 'block' },
        };
        const refused = await apply(c, bad as KubernetesObject).then(
          () => undefined,
          (e: { status: number }) => e,
        );
        t.equal(refused?.status, 422, 'an unknown mode is refused by the CRD schema');

        const unanchored = structuredClone(catalog[1]);
        unanchored.metadata = { name: 'e2e-unanchored' };
        unanchored.spec.signatures.authorities = [
          {
            name: 'ci',
            keyless: {
              issuer: 'https://token.actions.githubusercontent.com',
              subjectRegExp: 'https://github\\.com/acme/.*',
            },
          },
        ];
        // The policy webhook's registration may take a moment to reach the admission chain.
        const r = await until(
          () => post(unanchored, '?dryRun=All'),
          (r) => r.status === 422 && POLICY_WEBHOOK.test(msg(r)),
          30_000,
        );
        t.equal(r.status, 422, 'refused at write time, not skipped later');
        t.match(msg(r), /POLICY_REGEX_UNANCHORED/);

        // A misspelt rule: without strict field validation a structural schema would drop it and
        // store a policy without canary rules. The CRD keeps it, the webhook refuses it.
        const typo = structuredClone(production);
        typo.metadata = { name: 'e2e-typo' };
        typo.spec.canray = typo.spec.canary;
        delete typo.spec.canary;
        const nested = structuredClone(production);
        nested.metadata = { name: 'e2e-typo-nested' };
        nested.spec.canary.requireCanry = nested.spec.canary.requireCanary;
        delete nested.spec.canary.requireCanary;
        for (const [obj, field] of [
          [typo, 'canray'],
          [nested, 'requireCanry'],
        ] as const) {
          for (const validation of ['Ignore', 'Warn', 'Strict']) {
            const answer = await post(obj, `?fieldValidation=${validation}`);
            t.equal(answer.status, 422, `${field}, fieldValidation=${validation}: refused`);
            t.match(msg(answer), POLICY_WEBHOOK);
            t.match(msg(answer), new RegExp(`POLICY_SCHEMA unknown field "${field}"`));
          }
        }
        t.equal(
          (await request(c, 'GET', `${POLICIES}/e2e-typo`)).status,
          404,
          'nothing was stored',
        );
        const good = structuredClone(production);
        good.metadata = { name: 'e2e-good' };
        t.equal((await post(good, '?dryRun=All')).status, 201, 'a valid policy is stored');
      },
    );

    await t.test(
      'a stored invalid policy fails closed, on restart too, and its Ready condition says so',
      async (t) => {
        const inCanary = named(caseObject('oci-tag'), 'closed', 'ml-canary');
        t.match(msg(await create(inCanary, true)), /PIN_OCI_UNPINNED/, 'e2e-canary enforces');
        const ready = async (name: string) =>
          (await request(c, 'GET', `${POLICIES}/${name}`)).body?.status?.conditions?.find(
            (x: any) => x.type === 'Ready',
          );
        const enforced = await until(
          () => ready('e2e-canary'),
          (x) => x?.status === 'True',
        );
        t.match(enforced, { status: 'True', reason: 'Enforced', observedGeneration: 1 });

        // Stored invalid, as when it was written before the policy webhook was registered: take
        // that webhook out of the registration, store a version the CRD accepts and the loader
        // does not (steps above the maximum), put the webhook back.
        await apply(c, registration([shipped.webhooks[0]]));
        const broken = structuredClone(canaryPolicy);
        broken.spec.canary = { maxTrafficPercent: 10, steps: [0, 50] };
        // The registration change takes a moment: until then the policy webhook refuses the write.
        const stored = await until(
          async () => {
            const current = await request(c, 'GET', `${POLICIES}/e2e-canary`);
            broken.metadata = {
              name: 'e2e-canary',
              resourceVersion: current.body.metadata.resourceVersion,
            };
            return request(c, 'PUT', `${POLICIES}/e2e-canary`, broken);
          },
          (r) => r.status === 200,
          30_000,
        );
        t.equal(stored.status, 200, 'stored while nothing checked it', { body: stored.body });
        await apply(c, registration(shipped.webhooks));

        const closed = await until(
          () => create(inCanary, true),
          (r) => /POLICY_UNENFORCEABLE/.test(msg(r)),
        );
        t.equal(closed.status, 403, 'what it governs is refused');
        t.match(
          msg(closed),
          /POLICY_STEPS_ABOVE_MAX[\s\S]*\[POLICY_UNENFORCEABLE, policy e2e-canary\]/,
        );
        const pinnedSigned = named(
          await rendered(path.join(EXAMPLES, 'fraud-detector')),
          'closed-signed',
          'ml-canary',
        );
        t.match(
          msg(await create(pinnedSigned, true)),
          /POLICY_UNENFORCEABLE/,
          'even an object the policy would have admitted',
        );
        const elsewhere = named(caseObject('oci-tag'), 'closed', 'ml-dyn');
        t.equal((await create(elsewhere, true)).status, 201, 'outside its match: untouched');
        const invalid = await until(
          () => ready('e2e-canary'),
          (x) => x?.status === 'False',
        );
        t.match(invalid, { status: 'False', reason: 'Invalid', observedGeneration: 2 });
        t.match(invalid.message, /POLICY_STEPS_ABOVE_MAX/);
        const table = await request(c, 'GET', `${POLICIES}/e2e-canary`, undefined, undefined, {
          accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
        });
        const columns = table.body.columnDefinitions.map((d: any) => d.name);
        const row = table.body.rows[0].cells;
        t.equal(row[columns.indexOf('Ready')], 'False', 'kubectl get shows READY False');
        t.equal(row[columns.indexOf('Reason')], 'Invalid', 'and REASON Invalid');

        // A restart while the invalid version is stored: the same verdict, from the stored object.
        await server!.close();
        server = await serve(port);
        await server.cluster!.waitSynced();
        t.same(server.state.snapshot?.unenforceable, ['e2e-canary']);
        const after = await until(
          () => create(inCanary, true),
          (r) => r.status !== 500,
        );
        t.match(msg(after), /POLICY_UNENFORCEABLE/, 'still refused after the restart');
        t.equal(server.state.notReady(), undefined, 'ready, so the policy can be fixed through it');

        // Fixed: enforced as written again, and Ready turns True.
        const fixed = structuredClone(canaryPolicy);
        await apply(c, fixed);
        const back = await until(
          () => create(inCanary, true),
          (r) => /PIN_OCI_UNPINNED/.test(msg(r)),
        );
        t.notMatch(msg(back), /POLICY_UNENFORCEABLE/, 'fixed: its own rules again');
        t.match(
          await until(
            () => ready('e2e-canary'),
            (x) => x?.status === 'True',
          ),
          { reason: 'Enforced', observedGeneration: 3 },
        );
      },
    );

    await t.test('a tenant cannot exempt their namespace', async (t) => {
      const ns = `${NAMESPACE_PATH}/ml-prod`;
      const obj = named(caseObject('oci-tag'), 'tenant', 'ml-prod');
      const label = async (labels: Record<string, string>) =>
        request(c, 'PATCH', ns, { metadata: { labels } }, 'application/merge-patch+json');
      t.equal((await label({ 'aviary.dev/webhook': 'excluded' })).status, 200);
      await sleep(1500);
      t.match(
        msg(await create(obj, true)),
        /PIN_OCI_UNPINNED/,
        'the old opt-out label does nothing',
      );
      const spoof = await label({ 'kubernetes.io/metadata.name': 'kube-system' });
      const labels =
        spoof.status === 200
          ? spoof.body.metadata.labels
          : (await request(c, 'GET', ns)).body.metadata.labels;
      t.equal(labels['kubernetes.io/metadata.name'], 'ml-prod', 'the name label cannot be changed');
      t.match(msg(await create(obj, true)), /PIN_OCI_UNPINNED/, 'still enforced');
      await label({ 'aviary.dev/webhook': null as unknown as string });
    });

    await t.test(
      'decoys and deployment modes, in the JSON key order the apiserver sends',
      async (t) => {
        // The apiserver re-encodes custom resources with sorted keys, so `env` reaches the webhook
        // before `storageUri`: a decoy STORAGE_URI on the model container (KServe ignores it)
        // must not make a new artifact look like the one already serving.
        const stable = named(caseObject('stable-v1'), 'decoy', 'ml-canary');
        t.equal((await create(stable)).status, 201, 'stable v1 created');
        const straight = named(caseObject('straight-v3'), 'decoy', 'ml-canary');
        const decoyed = structuredClone(straight);
        decoyed.spec.predictor.model.env = [
          { name: 'STORAGE_URI', value: stable.spec.predictor.model.storageUri },
        ];
        const r = await update(decoyed, true);
        t.equal(r.status, 403, 'a new artifact at 100 % behind a decoy is refused');
        t.match(msg(r), /CANARY_REQUIRED/);
        const stored = await request(c, 'GET', `${ISVC}/ml-canary/inferenceservices/decoy`);
        t.same(
          Object.keys(stored.body.spec.predictor.model),
          [...Object.keys(stored.body.spec.predictor.model)].sort(),
          'the apiserver serves the model with sorted keys',
        );

        // Standard mode ignores canaryTrafficPercent: the same step is a new artifact at 100 %.
        const standard = (o: any) => {
          const copy = structuredClone(o);
          copy.metadata.annotations['serving.kserve.io/deploymentMode'] = 'Standard';
          return copy;
        };
        const std = named(standard(caseObject('stable-v1')), 'moded', 'ml-canary');
        t.equal((await create(std)).status, 201, 'a Standard-mode stable created');
        const step = named(standard(caseObject('canary-v2-10')), 'moded', 'ml-canary');
        const refused = await update(step, true);
        t.equal(refused.status, 403, 'a Knative share in Standard mode is no step');
        t.match(msg(refused), /CANARY_REQUIRED/);
        const knative = named(caseObject('canary-v2-10'), 'decoy', 'ml-canary');
        t.equal((await update(knative, true)).status, 200, 'the same step in Knative mode passes');
      },
    );

    await t.test(
      'webhook down: failurePolicy Fail; excluded namespace unaffected; restart resumes',
      async (t) => {
        await server!.close();
        server = undefined;
        const signed = named(
          await rendered(path.join(EXAMPLES, 'fraud-detector')),
          'down',
          'ml-prod',
        );
        const r = await create(signed, true);
        t.equal(r.status, 500, 'refused while the webhook is down');
        t.match(msg(r), /failed calling webhook/);
        const excluded = named(caseObject('oci-tag'), 'excluded', 'aviary-system');
        t.equal((await create(excluded)).status, 201, 'an excluded namespace still works');

        server = await serve(port);
        await server.cluster!.waitSynced();
        const back = await until(
          () => create(signed, true),
          (r) => r.status === 201,
        );
        t.equal(back.status, 201, 'admission resumes after a restart');
        t.match(msg(await create(unpinned, true)), /PIN_OCI_UNPINNED/, 'and enforces again');
      },
    );
    t.comment(`suite time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  },
);
