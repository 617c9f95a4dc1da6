#!/usr/bin/env node
// Entry of aviary's V8 start-up snapshot. `npm run build` (plugin/tools/build-snapshot.ts) and the
// plugin image bundle it into one script, `plugin/dist/snapshot/aviary.cjs`, and build
// `aviary.blob` from it. Argo CD starts a fresh process for every generate call; with the
// snapshot, Node starts with aviary already loaded and its hot functions already compiled, because
// the build renders a small sample app before the heap is saved. plugin.yaml names the blob:
// `node --snapshot-blob …/aviary.blob …/aviary.cjs generate`. Run without the blob, aviary.cjs is
// the same CLI, started the ordinary way.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { run, runProcess } from './cli.js';
import type { CommandIO } from './io.js';

const SAMPLE_BUNDLE = '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}\n';
const hex = (c: string) => `sha256:${c.repeat(64)}`;
const SAMPLE_RELEASES = [
  `apiVersion: aviary.dev/v1alpha1
kind: ModelRelease
metadata: { name: warm-knative, labels: { team: aviary } }
spec:
  model: { format: sklearn, protocol: v2 }
  deployment: { mode: Knative, minReplicas: 1, resources: { requests: { cpu: 100m } } }
  stable: { uri: "gs://models/warm/1/", digest: "${hex('a')}", signature: ../signatures/model.sigstore.json }
  canary: { uri: "gs://models/warm/2/", digest: "${hex('b')}", signature: ../signatures/model.sigstore.json, traffic: 10 }
`,
  `apiVersion: aviary.dev/v1alpha1
kind: ModelRelease
metadata: { name: warm-standard }
spec:
  model: { format: xgboost }
  deployment: { mode: Standard }
  stable: { uri: "oci://registry.example/warm@${hex('c')}", digest: "${hex('c')}" }
  canary: { uri: "s3://models/warm/3/", digest: "${hex('d')}", traffic: 20 }
`,
  `apiVersion: v1
kind: ConfigMap
metadata: { name: warm }
data: { a: "1" }
`,
];

/**
 * Runs `generate` and `parameters` once on a throw-away app so their code is compiled before the
 * heap is saved. Nothing from the sample may survive into the snapshot: the CLI keeps no state
 * between calls, and the folder is removed again.
 */
async function warmUp(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'aviary-snapshot-'));
  try {
    const app = path.join(root, 'app');
    mkdirSync(app);
    mkdirSync(path.join(root, 'signatures'));
    writeFileSync(path.join(root, 'signatures/model.sigstore.json'), SAMPLE_BUNDLE);
    writeFileSync(path.join(app, 'warm.modelrelease.yaml'), SAMPLE_RELEASES.join('---\n'));
    const out: string[] = [];
    const sink = { write: (chunk: string) => out.push(chunk) };
    for (const argv of [['generate'], ['parameters']]) {
      const io: CommandIO = {
        argv,
        env: { ARGOCD_APP_SOURCE_PATH: 'app', ARGOCD_APP_NAMESPACE: 'warm' },
        cwd: app,
        stdout: sink,
        stderr: sink,
      };
      const code = await run(io);
      if (code !== 0)
        throw new Error(`snapshot warm-up: aviary ${argv[0]} exited ${code}: ${out.join('')}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  process.once('SIGTERM', () => {
    process.stderr.write('aviary: terminated (SIGTERM); no manifests were written\n');
    process.exit(143);
  });
  process.exitCode = await runProcess();
}

if (v8.startupSnapshot.isBuildingSnapshot()) {
  // The snapshot is written once the event loop is empty, so the warm-up may be asynchronous; a
  // failed warm-up must fail the build instead of saving a half-initialised heap.
  warmUp().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
  v8.startupSnapshot.setDeserializeMainFunction(() => void main());
} else {
  void main();
}
