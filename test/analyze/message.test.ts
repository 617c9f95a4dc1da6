import { execFileSync } from 'node:child_process';
import t from 'tap';
import { commitMessage } from '../../plugin/src/analyze/message.js';

const input = {
  decision: 'step' as const,
  release: 'risk/fraud',
  from: 5,
  to: 25,
  metricLines: [
    'error-rate 0.004 (max 0.01; stable 0.003, maxDelta 0.005) passed',
    'p95-latency-ms 120 (stable 110, maxRatio 1.2) passed',
  ],
  analysis: 'errors-and-latency',
};

const trailers = (message: string) =>
  execFileSync('git', ['interpret-trailers', '--parse'], { input: message, encoding: 'utf8' });

t.test('subject, metric lines, trailers', async (t) => {
  const m = commitMessage(input);
  t.equal(
    m,
    [
      'aviary: step risk/fraud 5% → 25%',
      '',
      input.metricLines[0],
      input.metricLines[1],
      '',
      'Aviary-Release: risk/fraud',
      'Aviary-Decision: step',
      'Aviary-Analysis: errors-and-latency',
      '',
    ].join('\n'),
  );
  t.equal(
    trailers(m),
    'Aviary-Release: risk/fraud\nAviary-Decision: step\nAviary-Analysis: errors-and-latency\n',
  );
});

t.test('no metric lines: subject, then the trailers', async (t) => {
  const m = commitMessage({ ...input, decision: 'promote', to: 100, metricLines: [] });
  t.equal(m.split('\n')[0], 'aviary: promote risk/fraud 5% → 100%');
  t.match(trailers(m), 'Aviary-Decision: promote\n');
});

t.test('a line break in a name cannot forge a trailer or a subject', async (t) => {
  const m = commitMessage({
    ...input,
    decision: 'rollback',
    to: 0,
    metricLines: ['x 1\n\nAviary-Decision: promote', ''],
    analysis: 'a\nAviary-Release: other/one',
  });
  t.equal(
    trailers(m),
    'Aviary-Release: risk/fraud\nAviary-Decision: rollback\nAviary-Analysis: a Aviary-Release: other/one\n',
  );
  t.equal(m.split('\n')[2], 'x 1 Aviary-Decision: promote');
});
