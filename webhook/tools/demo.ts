// npm start, the quick start's main job: Aviary end to end without a cluster. Renders the example
// GitOps folder the way Argo CD runs the plugin, starts aviary-webhook on loopback over HTTPS
// (throw-away certificate), sends every rendered InferenceService to it as an admission.k8s.io/v1
// AdmissionReview, and prints the verdicts.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ARTIFACT_LABEL, artifactLabel } from '@aviary/policies';
import { loopbackRequest } from './loopback-https.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const gitops = path.join(repo, 'deploy/examples/gitops');
const namespace = 'ml-prod';
type Obj = Record<string, any>;

/** Runs `aviary generate` in an app folder with the environment argocd-cmp-server gives it. */
function generate(app: string): Obj[] {
  const r = spawnSync(process.execPath, [path.join(repo, 'plugin/bin/aviary.js'), 'generate'], {
    cwd: path.join(gitops, app),
    env: {
      PATH: process.env['PATH'] ?? '',
      ARGOCD_APP_NAME: app,
      ARGOCD_APP_NAMESPACE: namespace,
      ARGOCD_APP_SOURCE_PATH: app,
      ARGOCD_APP_PARAMETERS: 'null',
    },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`aviary generate failed in ${app}:\n${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
}

function render(file: string): Obj[] {
  const r = spawnSync(
    process.execPath,
    [path.join(repo, 'plugin/bin/aviary.js'), 'render', path.dirname(file)],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
}

/** A Knative release as it was before its canary: the recorded stable artifact serving alone. */
function stableOnly(isvc: Obj): Obj {
  const o = structuredClone(isvc);
  const annotations = o['metadata'].annotations as Record<string, string>;
  const stable = JSON.parse(annotations['aviary.dev/stable']!) as Obj;
  const artifacts = JSON.parse(annotations['aviary.dev/artifacts']!) as Obj[];
  annotations['aviary.dev/artifacts'] = JSON.stringify(
    artifacts.filter((a) => a['uri'] === stable['uri']),
  );
  o['spec'].predictor.model.storageUri = stable['uri'];
  o['spec'].predictor.labels = { [ARTIFACT_LABEL]: artifactLabel(stable['digest'] as string) };
  delete o['spec'].predictor.canaryTrafficPercent;
  return o;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function post(
  port: number,
  ca: string,
  urlPath: string,
  body?: unknown,
): Promise<{ status: number; json: Obj }> {
  const r = await loopbackRequest(
    port,
    ca,
    urlPath,
    body === undefined ? undefined : JSON.stringify(body),
  );
  let json: Obj = {};
  try {
    json = JSON.parse(r.text) as Obj;
  } catch {
    // /readyz may answer plain text
  }
  return { status: r.status, json };
}

function review(object: Obj, operation: 'CREATE' | 'UPDATE', oldObject?: Obj): Obj {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group: 'serving.kserve.io', version: 'v1beta1', kind: 'InferenceService' },
      resource: { group: 'serving.kserve.io', version: 'v1beta1', resource: 'inferenceservices' },
      requestKind: { group: 'serving.kserve.io', version: 'v1beta1', kind: 'InferenceService' },
      requestResource: {
        group: 'serving.kserve.io',
        version: 'v1beta1',
        resource: 'inferenceservices',
      },
      name: object['metadata'].name,
      namespace,
      operation,
      userInfo: { username: 'system:serviceaccount:argocd:argocd-application-controller' },
      object: { ...object, metadata: { ...object['metadata'], namespace } },
      ...(oldObject
        ? { oldObject: { ...oldObject, metadata: { ...oldObject['metadata'], namespace } } }
        : {}),
      dryRun: false,
      options: {
        apiVersion: 'meta.k8s.io/v1',
        kind: operation === 'CREATE' ? 'CreateOptions' : 'UpdateOptions',
      },
    },
  };
}

async function main(): Promise<number> {
  const work = mkdtempSync(path.join(tmpdir(), 'aviary-demo-'));
  const caFile = path.join(work, 'ca.pem');
  const port = await freePort();
  const webhook = spawn(
    process.execPath,
    [
      path.join(repo, 'webhook/bin/aviary-webhook.js'),
      '--self-signed',
      '--print-ca',
      caFile,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--policies',
      path.join(repo, 'policies/catalog'),
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    let ca = '';
    for (let i = 0; i < 100; i++) {
      try {
        ca = readFileSync(caFile, 'utf8');
        if ((await post(port, ca, '/readyz')).status === 200) break;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!ca) throw new Error('aviary-webhook did not start');

    const rows: { object: string; how: string; verdict: string; detail: string }[] = [];
    const send = async (
      object: Obj,
      how: string,
      operation: 'CREATE' | 'UPDATE' = 'CREATE',
      old?: Obj,
    ) => {
      const r = await post(port, ca, '/validate', review(object, operation, old));
      const res = r.json['response'] as Obj | undefined;
      if (r.status !== 200 || !res) throw new Error(`webhook answered HTTP ${r.status}`);
      const denied = String(res['status']?.message ?? '');
      const codes = [...denied.matchAll(/\[([A-Z_]+),/g)].map((m) => m[1]);
      const warnings = ((res['warnings'] as string[] | undefined) ?? []).map(
        (w) => /\b([A-Z][A-Z_]{3,})\b/.exec(w)?.[1] ?? w,
      );
      const signed = Object.entries(
        (res['auditAnnotations'] as Record<string, string> | undefined) ?? {},
      ).some(([k]) => /verified|signer/i.test(k));
      rows.push({
        object: `${object['metadata'].name}`,
        how,
        verdict: res['allowed'] ? 'ALLOWED' : 'DENIED',
        detail: res['allowed']
          ? [signed ? 'signature verified' : '', ...warnings.map((w) => `warn ${w}`)]
              .filter(Boolean)
              .join(', ')
          : codes.join(', '),
      });
    };

    const apps = readdirSync(gitops)
      .filter(
        (a) => a !== 'signatures' && a !== 'keys' && statSync(path.join(gitops, a)).isDirectory(),
      )
      .sort();
    for (const app of apps) {
      for (const o of generate(app)) {
        if (o['kind'] !== 'InferenceService') continue;
        // A Knative canary only splits traffic over a revision that already took it all, so the
        // cluster holds the stable-only release first and the canary arrives as an UPDATE.
        if (o['spec'].predictor.canaryTrafficPercent === undefined)
          await send(o, `generate ${app}/ (CREATE)`);
        else await send(o, `generate ${app}/ (UPDATE of its stable)`, 'UPDATE', stableOnly(o));
      }
    }
    const churnFirst = generate('churn-canary').find((o) => o['kind'] === 'InferenceService')!;
    await send(churnFirst, 'canary as a new InferenceService (CREATE)');
    const cases = path.join(repo, 'policies/catalog/tests/cases');
    for (const o of render(path.join(cases, 'signed/tampered/fraud.modelrelease.yaml'))) {
      if (o['metadata'].name === 'fraud-detector')
        await send(o, 'signature swapped for another model');
    }
    await send(
      parseAllDocuments(readFileSync(path.join(cases, 'oci-tag.yaml'), 'utf8'))[0]!.toJS() as Obj,
      'hand-written, OCI tag',
    );
    await send(
      parseAllDocuments(
        readFileSync(path.join(cases, 'custom-latest.yaml'), 'utf8'),
      )[0]!.toJS() as Obj,
      'custom container, image by tag',
    );

    // Later syncs of the signed churn release, as UPDATEs against what the cluster holds.
    const churn = churnFirst;
    const withShare = (share: number) => {
      const o = structuredClone(churn);
      o['spec'].predictor.canaryTrafficPercent = share;
      return o;
    };
    /** The release with only one artifact, serving everything (as before or after a promotion). */
    const onlyArtifact = (index: number) => {
      const o = structuredClone(churn);
      const artifacts = JSON.parse(
        o['metadata'].annotations['aviary.dev/artifacts'] as string,
      ) as Obj[];
      const a = artifacts[index]!;
      o['metadata'].annotations['aviary.dev/artifacts'] = JSON.stringify([a]);
      o['metadata'].annotations['aviary.dev/stable'] = JSON.stringify({
        uri: a['uri'],
        digest: a['digest'],
      });
      delete o['spec'].predictor.canaryTrafficPercent;
      o['spec'].predictor.model.storageUri = a['uri'];
      o['spec'].predictor.labels = { [ARTIFACT_LABEL]: artifactLabel(a['digest'] as string) };
      return o;
    };
    await send(withShare(25), 'UPDATE canary 10% -> 25%', 'UPDATE', churn);
    await send(withShare(50), 'UPDATE canary 10% -> 50%', 'UPDATE', churn);
    await send(onlyArtifact(1), 'UPDATE promote the canary', 'UPDATE', withShare(25));
    await send(onlyArtifact(1), 'UPDATE new model straight to 100%', 'UPDATE', onlyArtifact(0));

    const w = { object: 6, how: 3, verdict: 7 };
    for (const r of rows) {
      w.object = Math.max(w.object, r.object.length);
      w.how = Math.max(w.how, r.how.length);
    }
    const line = (a: string, b: string, c: string, d: string) =>
      `${a.padEnd(w.object)}  ${b.padEnd(w.how)}  ${c.padEnd(w.verdict)}  ${d}`;
    console.log(
      `aviary-webhook on https://127.0.0.1:${port}, policies: policies/catalog, namespace ${namespace}\n`,
    );
    console.log(line('OBJECT', 'HOW', 'VERDICT', 'WHY'));
    for (const r of rows) console.log(line(r.object, r.how, r.verdict, r.detail));
    return 0;
  } finally {
    webhook.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
});
