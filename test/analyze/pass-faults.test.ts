import t from 'tap';
import { run } from '../../plugin/src/cli.js';
import { gitFixture } from './git-support.js';
import { ANALYSIS, ART, POLICY, releaseText, traffic } from './loop-support.js';
import { openMetrics, startPrometheus } from './prometheus.js';

/**
 * Bad input met by a pass: each release it concerns gets its code and decides nothing, the pass
 * exits 2 (configuration) or 4 (infrastructure), and no commit is written.
 */
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0) / 1000;
const iso = (unix: number) => new Date(unix * 1000).toISOString();

interface Report {
  release: string;
  decision: string | null;
  to: number;
  error: { code: string } | null;
  findings: { code: string; policy: string }[];
}

t.test('each fault is reported with its code and moves nothing', async (t) => {
  const prometheus = await startPrometheus(
    openMetrics([
      ...traffic(ART('a'), 20, 0.02, T0 - 600, T0 + 3600),
      ...traffic(ART('b'), 5, 0.005, T0 - 600, T0 + 3600),
    ]),
  );
  t.teardown(() => prometheus.stop());
  const fx = gitFixture();
  t.teardown(() => fx.dispose());
  const work = fx.clone('work');
  // Same artifact and history for every release: only the fault differs.
  const ambiguous = ANALYSIS.replace(
    /query: \|\n[\s\S]*?thresholdRange/,
    'query: rate(revision_app_request_count{aviary_dev_artifact="{{artifact}}"}[{{window}}])\n      thresholdRange',
  );
  fx.commit(
    work,
    {
      'apps/escape.yaml': releaseText('escape', 'b', 'errors').replace(
        '../analysis/errors.yaml',
        '../../outside.yaml',
      ),
      'apps/ambiguous.yaml': releaseText('ambiguous', 'b', 'ambiguous'),
      'apps/template.yaml': releaseText('template', 'b', 'template'),
      'apps/denied.yaml': releaseText('denied', 'b', 'errors'),
      'analysis/errors.yaml': ANALYSIS,
      'analysis/ambiguous.yaml': ambiguous.replace('name: errors', 'name: ambiguous'),
      'analysis/template.yaml': ANALYSIS.replace('{{namespace}}', '{{team}}'),
      // The policy lets the denied release grow by 10 points at most: 5 → 25 is refused.
      'policies/canary.yaml': POLICY.replace('maxIncrease: 25', 'maxIncrease: 10'),
    },
    T0,
  );
  const head = fx.git(work, ['rev-parse', 'HEAD']);
  let stdout = '';
  let stderr = '';
  const code = await run({
    argv: [
      'analyze',
      'apps',
      '--json',
      '--policies',
      'policies',
      '--prometheus',
      prometheus.url,
      '--at',
      iso(T0 + 180),
    ],
    env: fx.env,
    cwd: work,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  t.equal(code, 2, stderr);
  const reports = Object.fromEntries((JSON.parse(stdout) as Report[]).map((r) => [r.release, r]));
  t.match(reports['ml/escape'], { decision: null, to: 5, error: { code: 'ANALYSIS_PATH' } });
  t.match(reports['ml/ambiguous'], {
    decision: null,
    to: 5,
    error: { code: 'ANALYSIS_QUERY_AMBIGUOUS' },
  });
  t.match(reports['ml/template'], { decision: null, error: { code: 'ANALYSIS_TEMPLATE' } });
  t.match(reports['ml/denied'], {
    decision: 'hold',
    to: 5,
    error: null,
    findings: [{ code: 'CANARY_INCREASE_TOO_LARGE', policy: 'canary-steps' }],
  });
  t.equal(fx.git(work, ['rev-parse', 'HEAD']), head, 'nothing was committed');
  t.equal(fx.git(work, ['status', '--porcelain']), '', 'nor written');
});

t.test('a configuration error is found with Prometheus down, and 4 wins over 2', async (t) => {
  const fx = gitFixture();
  t.teardown(() => fx.dispose());
  const work = fx.clone('work');
  fx.commit(
    work,
    {
      'apps/template.yaml': releaseText('template', 'b', 'template'),
      'apps/fine.yaml': releaseText('fine', 'b', 'errors'),
      'analysis/errors.yaml': ANALYSIS,
      'analysis/template.yaml': ANALYSIS.replace('{{namespace}}', '{{team}}'),
    },
    T0,
  );
  let stdout = '';
  const code = await run({
    argv: [
      'analyze',
      'apps',
      '--json',
      '--dry-run',
      '--prometheus',
      'http://127.0.0.1:9',
      '--at',
      iso(T0 + 180),
    ],
    env: fx.env,
    cwd: work,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: () => true },
  });
  t.equal(code, 4);
  const reports = Object.fromEntries((JSON.parse(stdout) as Report[]).map((r) => [r.release, r]));
  t.match(reports['ml/template'], { decision: null, error: { code: 'ANALYSIS_TEMPLATE' } });
  t.match(reports['ml/fine'], { decision: null, error: { code: 'PROMETHEUS_UNREACHABLE' } });
});

t.test('writing needs the policies the webhook enforces', async (t) => {
  let stderr = '';
  const code = await run({
    argv: ['analyze', '--prometheus', 'http://127.0.0.1:9'],
    env: {},
    cwd: '/',
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
  });
  t.equal(code, 2);
  t.match(stderr, /USAGE_INVALID --policies PATH is required/);
});
