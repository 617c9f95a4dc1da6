import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import { run } from '../../plugin/src/cli.js';
import { gitFixture } from './git-support.js';
import { ANALYSIS, ART, POLICY, releaseText, traffic } from './loop-support.js';
import { openMetrics, startPrometheus } from './prometheus.js';

/**
 * `aviary analyze --watch` on loopback: it clones the remote (a bare repository), runs a pass on
 * the wall clock, pushes the step, and serves /healthz and /metrics with each analysis value next
 * to its threshold. History is written around the real "now", since a watch has no --at.
 */
t.test('--watch clones, decides, pushes and exposes the values', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const start = now - 600;
  const prometheus = await startPrometheus(
    openMetrics([
      ...traffic(ART('a'), 20, 0.02, start - 600, now + 600),
      ...traffic(ART('b'), 5, 0.005, start - 600, now + 600),
    ]),
  );
  t.teardown(() => prometheus.stop());
  const fx = gitFixture();
  t.teardown(() => fx.dispose());
  const seed = fx.clone('seed');
  fx.commit(
    seed,
    {
      'apps/fraud.yaml': releaseText('fraud', 'b', 'errors'),
      'analysis/errors.yaml': ANALYSIS,
      'policies/canary.yaml': POLICY,
    },
    start,
  );
  fx.git(seed, ['push', '--quiet', 'origin', 'main']);

  let stderr = '';
  let stdout = '';
  const workdir = path.join(fx.dir, 'analyzer');
  const watching = run({
    argv: [
      'analyze',
      '--watch',
      'apps',
      '--repo',
      `file://${fx.bare}`,
      '--branch',
      'main',
      '--prometheus',
      prometheus.url,
      '--policies',
      'policies',
      '--every',
      '10s',
      '--listen',
      '127.0.0.1:0',
      '--workdir',
      workdir,
    ],
    env: fx.env,
    cwd: fx.dir,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  // The watch listens for SIGTERM in this process; emitting the event (not sending the signal)
  // asks it to stop. Only while it runs: once it is gone, the test runner's own handler listens.
  let running = true;
  void watching.finally(() => (running = false));
  const stopped = () => (running ? process.emit('SIGTERM') : undefined);
  t.teardown(stopped);

  // The first pass is done once its counter shows on /metrics (bounded wait).
  let metrics = '';
  let base = '';
  for (let i = 0; i < 600 && !/aviary_analysis_passes_total\{exit="\d"\} 1/.test(metrics); i++) {
    await delay(100);
    const at = /on (127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
    if (at === undefined) continue;
    base = `http://${at}`;
    metrics = await (await fetch(`${base}/metrics`)).text();
  }
  t.match(metrics, /aviary_analysis_passes_total\{exit="0"\} 1/, stderr);
  t.match(metrics, /aviary_rollout_traffic_percent\{release="ml\/fraud"\} 25/);
  t.match(
    metrics,
    /aviary_analysis_value\{release="ml\/fraud",metric="error-rate",artifact="canary"\} 0\.00\d+/,
  );
  t.match(
    metrics,
    /aviary_analysis_value\{release="ml\/fraud",metric="error-rate",artifact="stable"\} 0\.00\d+/,
  );
  t.match(
    metrics,
    /aviary_analysis_threshold\{release="ml\/fraud",metric="error-rate",bound="max"\} 0\.01/,
  );
  t.match(
    metrics,
    /aviary_analysis_threshold\{release="ml\/fraud",metric="error-rate",bound="maxDelta"\} 0\.005/,
  );
  t.match(metrics, /aviary_rollout_decisions_total\{release="ml\/fraud",decision="step"\} 1/);
  t.match(stdout, /ml\/fraud: step 5% → 25% \(pushed\)/);

  const health = await fetch(`${base}/healthz`);
  t.equal(health.status, 200);
  t.equal((await fetch(`${base}/nothing`)).status, 404);
  t.equal(
    fx
      .git(fx.bare, ['log', '-1', '--format=%(trailers:key=Aviary-Decision,valueonly)', 'main'])
      .trim(),
    'step',
    'the step reached the remote',
  );

  stopped();
  t.equal(await watching, 0, 'a stop request ends the watch cleanly');
});

t.test('--watch refuses what only one pass can do', async (t) => {
  for (const extra of [['--at', '2026-01-01T00:00:00Z'], ['--dry-run']]) {
    let stderr = '';
    const code = await run({
      argv: [
        'analyze',
        '--watch',
        '--repo',
        'file:///x',
        '--branch',
        'main',
        '--prometheus',
        'http://127.0.0.1:9',
        ...extra,
      ],
      env: {},
      cwd: '/',
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
    });
    t.equal(code, 2);
    t.match(stderr, /USAGE_INVALID/);
  }
});
