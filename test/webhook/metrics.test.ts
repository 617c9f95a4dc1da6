import t from 'tap';
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  createMetrics,
  histogramQuantile,
} from '@aviary/webhook';

t.test('text exposition format', async (t) => {
  const reg = new Registry();
  const c = reg.register(new Counter('x_total', 'Things.\nCounted.', ['kind']));
  const g = reg.register(new Gauge('y', 'A level.'));
  const h = reg.register(new Histogram('z_seconds', 'Time.', [0.1, 1]));
  c.inc({ kind: 'a"b\\c\nd' });
  c.inc({ kind: 'plain' }, 2);
  g.set(3.5);
  for (const v of [0.05, 0.1, 0.5, 2]) h.observe(v);
  t.equal(
    reg.render(),
    [
      '# HELP x_total Things.\\nCounted.',
      '# TYPE x_total counter',
      'x_total{kind="a\\"b\\\\c\\nd"} 1',
      'x_total{kind="plain"} 2',
      '# HELP y A level.',
      '# TYPE y gauge',
      'y 3.5',
      '# HELP z_seconds Time.',
      '# TYPE z_seconds histogram',
      'z_seconds_bucket{le="0.1"} 2',
      'z_seconds_bucket{le="1"} 3',
      'z_seconds_bucket{le="+Inf"} 4',
      'z_seconds_sum 2.65',
      'z_seconds_count 4',
      '',
    ].join('\n'),
  );
  t.equal(c.get({ kind: 'plain' }), 2);
  t.equal(c.get({ kind: 'never' }), 0);
  t.notMatch(reg.render(), /never/, 'reading a counter does not create a series');
});

t.test('the webhook metrics exist before any traffic', async (t) => {
  const text = createMetrics().registry.render();
  for (const name of [
    'aviary_admission_requests_total counter',
    'aviary_admission_decisions_total counter',
    'aviary_admission_findings_total counter',
    'aviary_admission_duration_seconds histogram',
    'aviary_policies_loaded gauge',
    'aviary_policy_reload_errors_total counter',
    'aviary_tls_reload_errors_total counter',
    'aviary_tls_certificate_expiry_timestamp_seconds gauge',
    'process_resident_memory_bytes gauge',
    'process_cpu_seconds_total counter',
  ])
    t.match(text, new RegExp(`^# TYPE ${name}$`, 'm'));
  t.match(text, /^aviary_policies_loaded 0$/m);
  t.match(text, /^aviary_policy_reload_errors_total 0$/m);
  for (const le of ['0.001', '0.005', '0.025', '0.1'])
    t.match(text, new RegExp(`^aviary_admission_duration_seconds_bucket\\{le="${le}"\\} 0$`, 'm'));
});

t.test('a collected counter is read on every scrape', async (t) => {
  let total = 1.5;
  const reg = new Registry();
  reg.register(new Counter('work_seconds_total', 'Work.', [], () => total));
  t.match(reg.render(), /^work_seconds_total 1\.5$/m);
  total = 4;
  t.match(reg.render(), /^work_seconds_total 4$/m);

  const cpu = () =>
    Number(/^process_cpu_seconds_total (\S+)$/m.exec(createMetrics().registry.render())?.[1]);
  const first = cpu();
  t.ok(first > 0, `process CPU seconds: ${first}`);
  const until = Date.now() + 20;
  while (Date.now() < until); // burn a little CPU
  t.ok(cpu() > first, 'process CPU seconds grow');
});

t.test('histogramQuantile interpolates like PromQL', async (t) => {
  const h = new Histogram('h', 'h', [0.001, 0.002, 0.004]);
  for (let i = 0; i < 90; i++) h.observe(0.0005);
  for (let i = 0; i < 10; i++) h.observe(0.003);
  t.equal(histogramQuantile(0.5, h.snapshot()), (0.001 * 50) / 90);
  t.equal(histogramQuantile(0.99, h.snapshot()), 0.002 + (0.002 * 9) / 10);
  t.ok(Number.isNaN(histogramQuantile(0.5, new Histogram('e', 'e', [1]).snapshot())));
});
