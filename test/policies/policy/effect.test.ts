import t from 'tap';
import { parsePolicies } from '@aviary/policies/engine';
import { policy } from '../../helpers/isvc.js';

// Issue 17, class 6: a policy that would enforce nothing, or match other than it reads, is refused
// at load with a code and its position; signatures nothing requires load with a warning.

const load = (spec: string) => parsePolicies(policy('p', spec), 'p.yaml');
const codes = (spec: string) => load(spec).diagnostics.map((d) => `${d.code}@${d.path ?? ''}`);
const KEY = '  authorities:\n    - name: k\n      key: { publicKey: x }';

t.test('a policy without a rule is refused', async (t) => {
  t.same(codes('mode: enforce'), ['POLICY_ENFORCES_NOTHING@spec']);
  t.same(codes(`signatures:\n${KEY}`), ['POLICY_ENFORCES_NOTHING@spec']);
  t.same(codes('match: {namespaces: [a]}\nsignatures: {required: false}'), [
    'POLICY_ENFORCES_NOTHING@spec',
  ]);
  const r = load('mode: audit');
  t.match(r.diagnostics, [{ code: 'POLICY_ENFORCES_NOTHING', file: 'p.yaml', line: 5 }]);
  t.same(r.policies, []);
  for (const rule of ['pinning: {}', 'canary: {}', `signatures:\n  required: true\n${KEY}`])
    t.same(codes(rule), [], rule);
});

t.test('signatures without required load with a warning', async (t) => {
  const r = load(`pinning: {}\nsignatures:\n${KEY}`);
  t.same(r.diagnostics, []);
  t.equal(r.policies.length, 1);
  t.match(r.warnings, [
    { code: 'POLICY_SIGNATURES_NOT_REQUIRED', path: 'spec.signatures', file: 'p.yaml', line: 7 },
  ]);
  t.same(load(`pinning: {}\nsignatures:\n  required: true\n${KEY}`).warnings, []);
});

t.test('empty match criteria are refused', async (t) => {
  t.same(codes('match: {}\npinning: {}'), ['POLICY_MATCH_EMPTY@spec.match']);
  t.same(codes('match: {namespaces: []}\npinning: {}'), [
    'POLICY_MATCH_EMPTY@spec.match.namespaces',
  ]);
  t.same(codes('match: {namespaceSelector: {}}\npinning: {}'), [
    'POLICY_MATCH_EMPTY@spec.match.namespaceSelector',
  ]);
  t.same(codes('match: {objectSelector: {matchLabels: {}}}\npinning: {}'), [
    'POLICY_MATCH_EMPTY@spec.match.objectSelector',
  ]);
  t.same(
    codes('match: {objectSelector: {matchLabels: {a: b}, matchExpressions: []}}\npinning: {}'),
    ['POLICY_MATCH_EMPTY@spec.match.objectSelector.matchExpressions'],
  );
  t.same(
    codes(
      'match: {objectSelector: {matchLabels: {}, matchExpressions: [{key: a, operator: Exists}]}}\npinning: {}',
    ),
    ['POLICY_MATCH_EMPTY@spec.match.objectSelector.matchLabels'],
  );
  t.same(
    codes('match: {namespaces: [a], namespaceSelector: {matchLabels: {env: prod}}}\npinning: {}'),
    [],
  );
});

t.test('selector expressions Kubernetes would reject are refused', async (t) => {
  const expr = (e: string) =>
    codes(`match:\n  namespaceSelector:\n    matchExpressions: [${e}]\npinning: {}`);
  const at = 'spec.match.namespaceSelector.matchExpressions[0]';
  t.same(expr('{key: env, operator: In}'), [`POLICY_SELECTOR_INVALID@${at}.operator`]);
  t.same(expr('{key: env, operator: NotIn, values: []}'), [
    `POLICY_SELECTOR_INVALID@${at}.operator`,
  ]);
  t.same(expr('{key: env, operator: Exists, values: [x]}'), [
    `POLICY_SELECTOR_INVALID@${at}.values`,
  ]);
  t.same(expr('{key: env, operator: DoesNotExist, values: [x]}'), [
    `POLICY_SELECTOR_INVALID@${at}.values`,
  ]);
  for (const ok of [
    '{key: env, operator: In, values: [prod]}',
    '{key: env, operator: NotIn, values: [dev, ""]}',
    '{key: env, operator: Exists}',
    '{key: env, operator: DoesNotExist, values: []}',
  ])
    t.same(expr(ok), [], ok);
});

t.test('label keys and values outside Kubernetes syntax are refused', async (t) => {
  const labels = (l: string) =>
    codes(`match:\n  objectSelector:\n    matchLabels: {${l}}\npinning: {}`);
  const at = 'spec.match.objectSelector.matchLabels';
  const long = 'a'.repeat(64);
  for (const [bad, key] of [
    ['"env prod": x', '["env prod"]'],
    ['-env: x', '["-env"]'],
    ['"Example.com/env": x', '["Example.com/env"]'],
    ['"/env": x', '["/env"]'],
    [`${long}: x`, `.${long}`],
  ] as const)
    t.same(labels(bad), [`POLICY_LABEL_INVALID@${at}${key}`], bad);
  t.same(labels('env: "a b"'), [`POLICY_LABEL_INVALID@${at}.env`]);
  t.same(labels('env: "-x"'), [`POLICY_LABEL_INVALID@${at}.env`]);
  t.same(
    codes(
      'match:\n  objectSelector:\n    matchExpressions: [{key: "a b", operator: In, values: ["x!"]}]\npinning: {}',
    ),
    [
      'POLICY_LABEL_INVALID@spec.match.objectSelector.matchExpressions[0].key',
      'POLICY_LABEL_INVALID@spec.match.objectSelector.matchExpressions[0].values[0]',
    ],
  );
  for (const ok of [
    'env: prod',
    '"app.kubernetes.io/name": my_app.v1',
    'team: ""',
    '"kubernetes.io/metadata.name": ml-prod',
  ])
    t.same(labels(ok), [], ok);
});
