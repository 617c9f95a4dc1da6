// npm run bench:cmp — GenerateManifest through the REAL argocd-cmp-server (test/cmp/peer), as the
// repo-server calls it, for every example app: the cmp-server's own per-RPC time (grpc.time_ms of
// its "finished call" log line) next to cmpclient's wall time (ms: tar + upload + server work) and
// recvMs (after the last chunk: checksum, untar, command). Measured against a baseline plugin whose
// generate is a bare `node -e` printing one ConfigMap, alternating calls in the same run, over the
// same repository tarball; aviary runs both from its start-up snapshot (deploy/plugin/plugin.yaml)
// and without it. Prints figures; asserts nothing. BENCH_RUNS (default 30) per example.
import { cpus } from 'node:os';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { EXAMPLES } from '../helpers/paths.js';
import {
  CmpServer,
  generateEnv,
  peer,
  percentile,
  pluginYamlWithoutSnapshot,
  tarExclusions,
} from '../cmp/harness.js';

const runs = Number(process.env['BENCH_RUNS'] ?? 30);
const warmup = 3;

const BASELINE_PLUGIN = `apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata:
  name: baseline
spec:
  generate:
    command:
      - node
      - -e
      - "console.log(JSON.stringify({apiVersion:'v1',kind:'ConfigMap',metadata:{name:'x'}}))"
`;

interface Sample {
  server: number;
  client: number;
  recv: number;
}

async function once(server: CmpServer, app: string): Promise<Sample> {
  const since = server.logs.length;
  const r = await server.call('generate', {
    repoRoot: EXAMPLES,
    appPath: app,
    env: generateEnv({ path: app, namespace: 'ml-prod' }),
    exclude: tarExclusions(),
  });
  if (r.status !== 0) throw new Error(`${app}: ${JSON.stringify(r.body)}`);
  const [line] = await server.waitFinished('GenerateManifest', since);
  if (!line) throw new Error(`${app}: no "finished call" log line`);
  return {
    server: Number(line['grpc.time_ms']),
    client: Number(r.body['ms']),
    recv: Number(r.body['recvMs']),
  };
}

/** Width of the row labels. */
const W = 40;

const fmt = (xs: number[]) =>
  `${percentile(xs, 50).toFixed(1).padStart(7)} ${percentile(xs, 99).toFixed(1).padStart(7)}`;

function row(label: string, s: Sample[]): string {
  return `${label.padEnd(W)} ${fmt(s.map((x) => x.server))}  ${fmt(s.map((x) => x.client))}  ${fmt(s.map((x) => x.recv))}`;
}

const p = peer();
const aviary = await new CmpServer(p, { pluginYaml: pluginYamlWithoutSnapshot() }).start();
const snapshot = await new CmpServer(p).start();
const baseline = await new CmpServer(p, { pluginYaml: BASELINE_PLUGIN }).start();
try {
  const apps = readdirSync(EXAMPLES, { withFileTypes: true })
    .filter(
      (d) =>
        d.isDirectory() &&
        readdirSync(path.join(EXAMPLES, d.name)).some((f) => f.endsWith('.modelrelease.yaml')),
    )
    .map((d) => d.name)
    .sort();
  console.log(
    `argocd-cmp-server ${p.version}, node ${process.version}, ${cpus().length} CPUs, ${runs} GenerateManifest calls per example and plugin (alternating, after ${warmup} warm-up calls), repo root deploy/examples/gitops`,
  );
  console.log(
    `${''.padEnd(W)} ${'server grpc.time_ms'.padEnd(15)}  ${'client ms'.padEnd(15)}  ${'client recvMs'.padEnd(15)}`,
  );
  console.log(
    `${''.padEnd(W)} ${'p50     p99'.padStart(15)}  ${'p50     p99'.padStart(15)}  ${'p50     p99'.padStart(15)}`,
  );
  const all: Record<'aviary' | 'snapshot' | 'baseline', Sample[]> = {
    aviary: [],
    snapshot: [],
    baseline: [],
  };
  for (const app of apps) {
    for (let i = 0; i < warmup; i++) {
      await once(aviary, app);
      await once(snapshot, app);
      await once(baseline, app);
    }
    const a: Sample[] = [];
    const s: Sample[] = [];
    const b: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      a.push(await once(aviary, app));
      s.push(await once(snapshot, app));
      b.push(await once(baseline, app));
    }
    all.aviary.push(...a);
    all.snapshot.push(...s);
    all.baseline.push(...b);
    console.log(row(`aviary generate  ${app}`, a));
    console.log(row(`  from snapshot  ${app}`, s));
    console.log(row(`node -e baseline ${app}`, b));
  }
  console.log(row('aviary generate  (all examples)', all.aviary));
  console.log(row('  from snapshot  (all examples)', all.snapshot));
  console.log(row('node -e baseline (all examples)', all.baseline));
  const over = (which: Sample[], q: number) =>
    percentile(
      which.map((x) => x.server),
      q,
    ) -
    percentile(
      all.baseline.map((x) => x.server),
      q,
    );
  for (const [name, which] of [
    ['aviary', all.aviary],
    ['aviary from its snapshot', all.snapshot],
  ] as const) {
    console.log(
      `${name} over the node baseline, server-side: p50 +${over(which, 50).toFixed(1)} ms, p99 +${over(which, 99).toFixed(1)} ms`,
    );
  }
} finally {
  await aviary.stop();
  await snapshot.stop();
  await baseline.stop();
}
