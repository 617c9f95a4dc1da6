// npm run bench:analyze — one `aviary analyze` pass (the built bin, `--dry-run --json --at`) over
// 200 releases in a local Git repository, each a 5 % canary whose ModelAnalysis has 3 metrics and
// minSamples, against a real Prometheus serving promtool-built history for 200 canary and 200
// distinct stable artifacts. Next to it, in the same run: the same instant queries sent straight
// to Prometheus with the same concurrency bound (the floor Prometheus sets), and `node -e 0`.
// One extra, untimed pass goes through a counting proxy: how many queries, and how many in flight
// at most (the client's bound). Prints figures; asserts nothing, but a pass that fails or decides
// nothing is not a figure and stops the bench.
// BENCH_RUNS (default 5) timed passes; BENCH_DOCS_PER_FILE (default 1) releases per file.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { artifactLabel } from '@aviary/policies';
import { PROMETHEUS_DEFAULTS } from '../../plugin/src/analyze/prometheus.js';
import { gitFixture } from '../analyze/git-support.js';
import { openMetrics, startPrometheus, type Series } from '../analyze/prometheus.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repo, 'plugin/bin/aviary.js');
const runs = Number(process.env['BENCH_RUNS'] ?? 5);
const perFile = Number(process.env['BENCH_DOCS_PER_FILE'] ?? 1);
const RELEASES = 200;
const NS = 'ml';

// The canaries were set to 5 % at T0; the pass runs at T0 + 3 min: with a 1 m interval and no
// initial delay that is 3 measurement times (T0+1m, +2m, +3m), what `count: 3` needs.
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0) / 1000;
const AT = T0 + 180;
const SCRAPE = 15;
const HISTORY = { from: T0 - 600, to: T0 + 600 };

const ANALYSIS = `apiVersion: aviary.dev/v1alpha1
kind: ModelAnalysis
metadata:
  name: knative-three-metrics
spec:
  interval: 1m
  count: 3
  minSamples:
    query: sum(increase(revision_app_request_count{namespace_name="{{namespace}}", aviary_dev_artifact="{{artifact}}"}[{{window}}]))
    min: 100
  metrics:
    - name: error-rate
      query: |
        sum(rate(revision_app_request_count{namespace_name="{{namespace}}", aviary_dev_artifact="{{artifact}}", response_code_class="5xx"}[{{window}}]))
        / sum(rate(revision_app_request_count{namespace_name="{{namespace}}", aviary_dev_artifact="{{artifact}}"}[{{window}}]))
      thresholdRange: { max: 0.01 }
      baseline: { maxDelta: 0.005 }
      noData: pass
    - name: p95-latency-ms
      query: histogram_quantile(0.95, sum by (le) (rate(revision_app_request_latencies_bucket{namespace_name="{{namespace}}", aviary_dev_artifact="{{artifact}}"}[{{window}}])))
      baseline: { maxRatio: 1.2 }
    - name: request-rate
      query: sum(rate(revision_app_request_count{namespace_name="{{namespace}}", aviary_dev_artifact="{{artifact}}"}[{{window}}]))
      thresholdRange: { min: 0.5 }
`;

const POLICY = `apiVersion: aviary.dev/v1alpha1
kind: ModelReleasePolicy
metadata:
  name: canary-steps
spec:
  match:
    namespaces: [${NS}]
  pinning:
    allowedSchemes: [s3]
  canary:
    steps: [0, 5, 25, 50]
    maxIncrease: 25
`;

const digest = (what: string) => `sha256:${createHash('sha256').update(what).digest('hex')}`;
const name = (i: number) => `model-${String(i).padStart(3, '0')}`;
/** Every tenth canary serves 5 % errors and is rolled back; the others are stepped to 25 %. */
const bad = (i: number) => i % 10 === 9;

function releaseDoc(i: number, canary: boolean, comment = 'owned by the ML platform team'): string {
  const n = name(i);
  const lines = [
    `# ${n}: ${comment}`,
    'apiVersion: aviary.dev/v1alpha1',
    'kind: ModelRelease',
    'metadata:',
    `  name: ${n}`,
    `  namespace: ${NS}`,
    'spec:',
    '  model: { format: sklearn }',
    '  stable:',
    `    uri: s3://models/${n}/1.0.0/`,
    `    digest: ${digest(`stable-${i}`)}`,
  ];
  if (canary)
    lines.push(
      '  canary:',
      `    uri: s3://models/${n}/1.1.0/`,
      `    digest: ${digest(`canary-${i}`)}`,
      '    traffic: 5',
    );
  lines.push('  rollout:', '    steps: [5, 25, 50]', '    analysis: ../analysis/knative.yaml');
  return `${lines.join('\n')}\n`;
}

/** The release files: `perFile` documents each, in `apps/`. */
function releaseFiles(canary: boolean, comment?: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (let f = 0; f * perFile < RELEASES; f++) {
    const docs = [];
    for (let i = f * perFile; i < Math.min(RELEASES, (f + 1) * perFile); i++)
      docs.push(releaseDoc(i, canary, comment));
    files[`apps/${name(f)}.yaml`] = docs.join('---\n');
  }
  return files;
}

const LE = [5, 10, 25, 50, 100, 250];

/** Knative queue-proxy counters of one artifact: `rps` requests/s, `errors` of them 5xx, latency ≈ `ms`. */
function artifactSeries(artifact: string, rps: number, errors: number, ms: number): Series[] {
  const counter = (rate: number) => {
    const points: [number, number][] = [];
    for (let s = HISTORY.from; s <= HISTORY.to; s += SCRAPE)
      points.push([s, Math.round(rate * (s - HISTORY.from) * 1000) / 1000]);
    return points;
  };
  const labels = { namespace_name: NS, aviary_dev_artifact: artifact };
  // Latencies spread evenly over [ms/2, 2ms]: the share at or under each bucket bound.
  const share = (le: number) => Math.min(1, Math.max(0, (le - ms / 2) / (1.5 * ms)));
  return [
    {
      name: 'revision_app_request_count',
      labels: { ...labels, response_code_class: '2xx' },
      points: counter(rps * (1 - errors)),
    },
    {
      name: 'revision_app_request_count',
      labels: { ...labels, response_code_class: '5xx' },
      points: counter(rps * errors),
    },
    ...[...LE.map((le) => [String(le), share(le)] as const), ['+Inf', 1] as const].map(
      ([le, s]) => ({
        name: 'revision_app_request_latencies_bucket',
        labels: { ...labels, le },
        points: counter(rps * s),
      }),
    ),
  ];
}

function history(): string {
  const series: Series[] = [];
  for (let i = 0; i < RELEASES; i++) {
    const ms = 20 + (i % 7) * 5;
    series.push(
      ...artifactSeries(artifactLabel(digest(`stable-${i}`)), 38, 0.001, ms),
      ...artifactSeries(artifactLabel(digest(`canary-${i}`)), 2, bad(i) ? 0.05 : 0.001, ms),
    );
  }
  return openMetrics(series);
}

function exec(
  file: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ ms: number; stdout: string; stderr: string; code: number }> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    execFile(file, args, { ...options, maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ ms, stdout, stderr, code });
    });
  });
}

interface Report {
  release: string;
  decision: string | null;
  error: { code: string; message: string } | null;
  metrics: { name: string; phase: string; measurements: unknown[] }[];
}

/** A loopback proxy to Prometheus that records each query and the most requests in flight at once. */
async function countingProxy(target: string) {
  const queries: { query: string; time: string }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const form = new URLSearchParams(body);
      queries.push({ query: form.get('query') ?? '', time: form.get('time') ?? '' });
      void fetch(`${target}${req.url ?? '/'}`, {
        method: req.method ?? 'GET',
        headers: { 'content-type': req.headers['content-type'] ?? 'text/plain' },
        ...(req.method === 'POST' ? { body } : {}),
      })
        .then(async (r) => {
          const text = await r.text();
          res.writeHead(r.status, { 'content-type': 'application/json' }).end(text);
        })
        .catch(() => res.writeHead(502).end())
        .finally(() => inFlight--);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    maxInFlight: () => maxInFlight,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The recorded queries, straight to Prometheus, `bound` at a time; wall time in ms. */
async function direct(
  url: string,
  queries: readonly { query: string; time: string }[],
  bound: number,
): Promise<number> {
  const start = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < queries.length) {
      const q = queries[next++]!;
      const r = await fetch(`${url}/api/v1/query`, {
        method: 'POST',
        headers: { accept: 'application/json' },
        body: new URLSearchParams({ query: q.query, time: q.time }),
      });
      const json = (await r.json()) as { status?: string };
      if (json.status !== 'success') throw new Error(`${q.query}: ${JSON.stringify(json)}`);
    }
  };
  await Promise.all(Array.from({ length: bound }, worker));
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const median =
    s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return `median ${median.toFixed(0).padStart(6)} ms  min ${s[0]!.toFixed(0).padStart(6)}  max ${s.at(-1)!.toFixed(0).padStart(6)}`;
};

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

console.log(`load average before: ${load()}`);
let t = process.hrtime.bigint();
const since = () => {
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  t = process.hrtime.bigint();
  return `${(ms / 1000).toFixed(1)} s`;
};
const prometheus = await startPrometheus(history());
const fx = gitFixture();
try {
  console.log(`Prometheus with history of ${2 * RELEASES} artifacts ready in ${since()}`);
  const work = fx.clone('work');
  const common = {
    'analysis/knative.yaml': ANALYSIS,
    'policies/canary.yaml': POLICY,
  };
  // A history per release file: created without a canary, the canary at 5 % at T0, then an edit
  // that does not restart the step (the walk must read past it).
  fx.commit(work, { ...common, ...releaseFiles(false) }, T0 - 86_400, 'releases');
  fx.commit(work, releaseFiles(true), T0, 'canaries at 5 %');
  fx.commit(
    work,
    releaseFiles(true, 'owned by the ML platform team (on call: #ml)'),
    T0 + 30,
    'docs',
  );
  const files = Object.keys(releaseFiles(false)).length;
  console.log(
    `repository: ${RELEASES} releases in ${files} file(s) of ${perFile}, 3 commits each, ready in ${since()}`,
  );

  const argv = (url: string) => [
    bin,
    'analyze',
    'apps',
    '--dry-run',
    '--json',
    '--policies',
    'policies',
    '--prometheus',
    url,
    '--at',
    new Date(AT * 1000).toISOString(),
  ];
  const pass = async (url: string) => {
    const r = await exec(process.execPath, argv(url), { cwd: work, env: fx.env });
    if (r.code !== 0) throw new Error(`aviary analyze exited ${r.code}: ${r.stderr}`);
    const reports = JSON.parse(r.stdout) as Report[];
    const failed = reports.find((x) => x.error !== null && x.error !== undefined);
    if (reports.length !== RELEASES || failed !== undefined)
      throw new Error(`the pass did not decide: ${JSON.stringify(failed ?? reports.length)}`);
    return { ms: r.ms, reports };
  };

  // Untimed: through the counting proxy, to know what the pass asks and how it asks it.
  const proxy = await countingProxy(prometheus.url);
  let counted;
  try {
    counted = await pass(proxy.url);
  } finally {
    await proxy.stop();
  }
  const decisions: Record<string, number> = {};
  for (const r of counted.reports)
    decisions[r.decision ?? 'null'] = (decisions[r.decision ?? 'null'] ?? 0) + 1;
  const measurements = counted.reports[0]!.metrics[0]!.measurements.length;
  const bound = PROMETHEUS_DEFAULTS.concurrency;
  console.log(
    `one pass: ${proxy.queries.length} instant queries (${measurements} measurement times × 3 metrics + minSamples, baselines for 2), at most ${proxy.maxInFlight()} in flight (client bound ${bound}); decisions ${JSON.stringify(decisions)}`,
  );

  const times = { pass: [] as number[], direct: [] as number[], node: [] as number[] };
  await pass(prometheus.url); // warm caches (page cache, Prometheus's chunks) before timing
  for (let i = 0; i < runs; i++) {
    times.pass.push((await pass(prometheus.url)).ms);
    times.direct.push(await direct(prometheus.url, proxy.queries, bound));
    times.node.push((await exec(process.execPath, ['-e', '0'])).ms);
  }
  console.log(
    `node ${process.version}, ${runs} alternating runs, --at ${new Date(AT * 1000).toISOString()}`,
  );
  console.log(`aviary analyze --dry-run (one pass)   ${stats(times.pass)}  (target < 10000 ms)`);
  console.log(
    `same ${proxy.queries.length} queries direct, ${bound} at a time  ${stats(times.direct)}`,
  );
  console.log(`node -e 0                              ${stats(times.node)}`);
  console.log(`load average after: ${load()}`);
} finally {
  fx.dispose();
  await prometheus.stop();
}
