import t from 'tap';
import { createEngine } from '@aviary/policies/engine';
import { isvc, policies, policy } from '../../helpers/isvc.js';

// The apiserver matches a webhook's objectSelector against the old and the new object and calls
// the webhook when either matches; a policy's objectSelector follows the same rule.
const engine = createEngine({
  policies: policies(
    policy(
      'risk',
      'match:\n  objectSelector:\n    matchLabels: { team: risk }\ncanary:\n  requireCanary: true',
    ),
  ),
});
const evaluate = (object: unknown, oldObject?: unknown) =>
  engine.evaluate({
    object,
    ...(oldObject === undefined ? {} : { oldObject }),
    operation: oldObject === undefined ? 'CREATE' : 'UPDATE',
    namespace: 'ml',
    namespaceLabels: {},
  });
const labelled = { team: 'risk' };

t.test(
  'dropping the label in the UPDATE that swaps the model stays under the policy',
  async (t) => {
    const old = isvc({ uri: 's3://m/a/', labels: labelled });
    const d = evaluate(isvc({ uri: 's3://m/b/' }), old);
    t.same(d.matched, ['risk']);
    t.same(
      d.violations.map((f) => f.code),
      ['CANARY_REQUIRED'],
    );
  },
);

t.test('adding the label matches too', async (t) => {
  const d = evaluate(isvc({ uri: 's3://m/b/', labels: labelled }), isvc({ uri: 's3://m/a/' }));
  t.same(d.matched, ['risk']);
  t.equal(d.allowed, false);
});

t.test('neither object labelled: the policy does not apply', async (t) => {
  const d = evaluate(isvc({ uri: 's3://m/b/' }), isvc({ uri: 's3://m/a/' }));
  t.same(d.matched, []);
  t.equal(d.allowed, true);
});

t.test('on CREATE only the new object counts', async (t) => {
  t.same(evaluate(isvc({ uri: 's3://m/b/', labels: labelled })).matched, ['risk']);
  t.same(evaluate(isvc({ uri: 's3://m/b/' })).matched, []);
});
