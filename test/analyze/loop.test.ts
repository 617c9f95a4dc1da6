import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parseYamlStream } from '@aviary/policies';
import { loadPolicySet } from '@aviary/policies/engine';
import { run } from '../../plugin/src/cli.js';
import { renderSources } from '../../plugin/src/render/app.js';
import { gitFixture, type GitFixture } from './git-support.js';
import {
  ANALYSIS,
  DIGEST,
  POLICY,
  QUIET_ANALYSIS,
  ART,
  releaseText,
  traffic,
} from './loop-support.js';
import { openMetrics, startPrometheus } from './prometheus.js';

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0) / 1000;

/**
 * The whole loop on loopback, with real git (a bare repository as the remote) and a real
 * Prometheus serving history built by promtool: a good canary is stepped 5 → 25 → 50 % and
 * promoted, one commit each; a failing one is rolled back in one commit; one without data holds;
 * and with Prometheus down nothing moves. Every commit the analyzer writes is rendered and judged
 * by the policy engine as an UPDATE of the commit before it, as the webhook will judge it.
 */

interface Report {
  release: string;
  decision: string | null;
  from: number;
  to: number;
  error: { code: string } | null;
  written?: string;
  metrics: { name: string; phase: string }[];
}

async function analyze(
  fx: GitFixture,
  work: string,
  args: string[],
): Promise<{ code: number; reports: Report[]; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run({
    argv: ['analyze', 'apps', '--json', '--policies', 'policies', ...args],
    env: fx.env,
    cwd: work,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  const reports = stdout.trim() === '' ? [] : (JSON.parse(stdout) as Report[]);
  return { code, reports, stderr };
}

const iso = (unix: number) => new Date(unix * 1000).toISOString();
const byRelease = (reports: Report[]) => Object.fromEntries(reports.map((r) => [r.release, r]));

t.test('the loop: step, step, promote; rollback; hold; Prometheus down', async (t) => {
  const prometheus = await startPrometheus(
    openMetrics([
      // The stable serves 0.1 % errors, the good canary the same, the bad one 20 %.
      ...traffic(ART('a'), 20, 0.02, T0 - 600, T0 + 3600),
      ...traffic(ART('b'), 5, 0.005, T0 - 600, T0 + 3600),
      ...traffic(ART('c'), 4, 1, T0 - 600, T0 + 3600),
    ]),
  );
  t.teardown(() => prometheus.stop());
  const fx = gitFixture();
  t.teardown(() => fx.dispose());
  const work = fx.clone('work');
  fx.commit(
    work,
    {
      'apps/fraud.yaml': releaseText('fraud', 'b', 'errors'),
      'apps/churn.yaml': releaseText('churn', 'c', 'errors'),
      'apps/quiet.yaml': releaseText('quiet', 'd', 'quiet'),
      'analysis/errors.yaml': ANALYSIS,
      'analysis/quiet.yaml': QUIET_ANALYSIS,
      'policies/canary.yaml': POLICY,
    },
    T0,
    'releases at 5 %',
  );
  fx.git(work, ['push', '--quiet', 'origin', 'main']);
  const prom = ['--prometheus', prometheus.url, '--push'];

  // Two measurements (t0+1m, t0+2m) are what `count: 2` needs.
  let now = T0 + 120;
  const first = await analyze(fx, work, [...prom, '--at', iso(now)]);
  t.equal(first.code, 0, first.stderr);
  const one = byRelease(first.reports);
  t.match(one['ml/fraud'], { decision: 'step', from: 5, to: 25, written: 'pushed', error: null });
  t.match(one['ml/churn'], { decision: 'rollback', from: 5, to: 0, written: 'pushed' });
  t.match(one['ml/churn']!.metrics, [{ name: 'error-rate', phase: 'failed' }]);
  t.match(one['ml/quiet'], { decision: 'hold', from: 5, to: 5 });
  t.notOk(one['ml/quiet']!.written, 'a hold writes nothing');

  // Replaying the first pass's instant reads the tree it decided on and decides the same.
  const replay = await analyze(fx, work, ['--prometheus', prometheus.url, '--at', iso(now)]);
  t.equal(replay.code, 0, replay.stderr);
  const unwritten = (reports: Report[]) => reports.map((r) => ({ ...r, written: undefined }));
  t.same(
    unwritten(replay.reports),
    unwritten(first.reports),
    'the replay decides exactly as the pass did',
  );

  for (const [decision, from, to] of [
    ['step', 25, 50],
    ['promote', 50, 100],
  ] as const) {
    now += 121;
    const pass = await analyze(fx, work, [...prom, '--at', iso(now)]);
    t.equal(pass.code, 0, pass.stderr);
    const r = byRelease(pass.reports);
    t.match(r['ml/fraud'], { decision, from, to, written: 'pushed' });
    t.match(r['ml/churn'], { decision: 'none', from: 0, to: 0 }, 'a rolled-back canary rests');
  }
  now += 121;
  const after = byRelease((await analyze(fx, work, [...prom, '--at', iso(now)])).reports);
  t.match(after['ml/fraud'], { decision: 'none', from: 0, to: 0 }, 'promoted: no canary left');

  // One commit per decision, on the remote, with the design's subject and trailers; within a
  // pass, releases are written in the order of their files.
  const log = fx
    .git(fx.bare, [
      'log',
      '--format=%s|%(trailers:key=Aviary-Decision,valueonly,separator=)',
      'main',
    ])
    .trim()
    .split('\n');
  t.same(log, [
    'aviary: promote ml/fraud 50% → 100%|promote',
    'aviary: step ml/fraud 25% → 50%|step',
    'aviary: step ml/fraud 5% → 25%|step',
    'aviary: rollback ml/churn 5% → 0%|rollback',
    'releases at 5 %|',
  ]);

  // Each written state of fraud.yaml, judged as the webhook would judge Argo CD applying it.
  const versions = fx
    .git(fx.bare, ['log', '--reverse', '--format=%H', 'main', '--', 'apps/fraud.yaml'])
    .trim()
    .split('\n');
  t.equal(versions.length, 4, 'created, then three analyzer commits');
  const { engine } = await loadPolicySet({ policies: [path.join(work, 'policies')], cwd: work });
  let previous: unknown;
  for (const sha of versions) {
    const text = fx.git(fx.bare, ['show', `${sha}:apps/fraud.yaml`]);
    const doc = parseYamlStream(text, 'apps/fraud.yaml').documents[0]!;
    const rendered = await renderSources(
      [{ file: 'apps/fraud.yaml', absolute: path.join(work, 'apps/fraud.yaml'), doc }],
      { root: work, defaultMode: 'Knative' },
    );
    t.same(rendered.diagnostics, [], `${sha.slice(0, 8)} renders`);
    const object = rendered.objects[0];
    if (previous !== undefined) {
      const decision = engine!.evaluate({
        object,
        oldObject: previous,
        operation: 'UPDATE',
        namespace: 'ml',
        namespaceLabels: {},
      });
      t.same(decision.violations, [], `${sha.slice(0, 8)} is admitted as an UPDATE`);
      t.same(decision.matched, ['canary-steps']);
    }
    previous = object;
  }
  const promoted = fx.git(fx.bare, ['show', 'main:apps/fraud.yaml']);
  t.match(promoted, /# fraud: owned by the fraud team\n/, 'comments survive');
  t.match(promoted, `digest: ${DIGEST('b')}   # the model in production`);
  t.notMatch(promoted, /canary:/);

  // Prometheus down: nothing is decided, nothing written, exit 4.
  const head = fx.git(fx.bare, ['rev-parse', 'main']);
  fx.commit(work, { 'apps/fraud.yaml': releaseText('fraud', 'e', 'errors') }, now + 5, 'v1.2');
  fx.git(work, ['push', '--quiet', 'origin', 'main']);
  const down = await analyze(fx, work, [
    '--prometheus',
    'http://127.0.0.1:9',
    '--push',
    '--at',
    iso(now + 300),
  ]);
  t.equal(down.code, 4);
  t.match(byRelease(down.reports)['ml/fraud'], {
    decision: null,
    error: { code: 'PROMETHEUS_UNREACHABLE' },
  });
  t.not(fx.git(fx.bare, ['rev-parse', 'main']), head, 'the human commit landed');
  t.equal(
    fx.git(fx.bare, ['log', '-1', '--format=%s', 'main']).trim(),
    'v1.2',
    'and nothing after it',
  );
  t.equal(
    readFileSync(path.join(work, 'apps/fraud.yaml'), 'utf8'),
    releaseText('fraud', 'e', 'errors'),
  );
});
