import t from 'tap';
import { createEngine, unenforceablePolicy } from '@aviary/policies/engine';
import type { Diagnostic } from '@aviary/policies';
import { isvc } from '../../helpers/isvc.js';

const bad: Diagnostic[] = [
  { code: 'POLICY_STEPS_ABOVE_MAX', message: 'steps above', file: 'ModelReleasePolicy/x' },
];
const doc = (spec: unknown) => ({ metadata: { name: 'x' }, spec });

t.test('what an invalid policy is read to govern', async (t) => {
  const scoped = unenforceablePolicy(
    'x',
    doc({ match: { namespaces: ['ml'] }, mode: 'warn' }),
    bad,
  );
  t.same(scoped.match, { namespaces: ['ml'] }, 'a valid match is kept');
  t.equal(scoped.mode, 'warn');
  t.same(scoped.reasons, ['ModelReleasePolicy/x: POLICY_STEPS_ABOVE_MAX steps above']);

  const cases: [string, unknown][] = [
    ['no match', doc({})],
    ['a match with an unknown field', doc({ match: { namespace: ['ml'] } })],
    ['a match of the wrong type', doc({ match: { namespaces: 'ml' } })],
    ['an empty match', doc({ match: {} })],
    [
      'a selector Kubernetes would refuse',
      doc({ match: { namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } } }),
    ],
    ['no spec', { metadata: { name: 'x' } }],
    ['not an object', 'text'],
  ];
  for (const [what, d] of cases) {
    const u = unenforceablePolicy('x', d, bad);
    t.equal(u.match, undefined, `${what}: governs everything`);
    t.equal(u.mode, 'enforce', `${what}: enforce`);
  }
  for (const mode of ['enforce', 'Warn', 'block', 7])
    t.equal(unenforceablePolicy('x', doc({ mode }), bad).mode, 'enforce', `mode ${String(mode)}`);
  t.equal(unenforceablePolicy('x', doc({ mode: 'audit' }), bad).mode, 'audit');
});

t.test('the engine refuses what an unenforceable policy may govern, in its mode', async (t) => {
  const object = isvc({ uri: 's3://ok/m/1/', namespace: 'ml' });
  const judge = (spec: unknown, namespace = 'ml') =>
    createEngine({
      policies: [],
      unenforceable: [unenforceablePolicy('x', doc(spec), bad)],
    }).evaluate({
      object,
      operation: 'CREATE',
      namespace,
      namespaceLabels: {},
    });

  const everything = judge({});
  t.equal(everything.allowed, false);
  t.same(everything.matched, ['x']);
  t.match(everything.violations, [
    { code: 'POLICY_UNENFORCEABLE', path: '', policy: 'x', rule: 'policy', mode: 'enforce' },
  ]);
  t.match(everything.violations[0]!.message, /POLICY_STEPS_ABOVE_MAX/);

  t.equal(judge({ match: { namespaces: ['ml'] } }).allowed, false, 'in its namespaces: refused');
  const outside = judge({ match: { namespaces: ['ml'] } }, 'other');
  t.equal(outside.allowed, true, 'outside them: not governed');
  t.same(outside.matched, []);

  const warned = judge({ mode: 'warn' });
  t.equal(warned.allowed, true);
  t.match(warned.warnings, [{ code: 'POLICY_UNENFORCEABLE', mode: 'warn' }]);
  const audited = judge({ mode: 'audit' });
  t.equal(audited.allowed, true);
  t.same(audited.warnings, []);
  t.match(audited.audits, [{ code: 'POLICY_UNENFORCEABLE', mode: 'audit' }]);
});
