import t from 'tap';
import { createEngine, parsePolicies } from '@aviary/policies/engine';
import { isvc, policies, policy } from '../../helpers/isvc.js';

const engine = createEngine({
  policies: policies(
    policy(
      'prefixes',
      'pinning:\n  allowedPrefixes: ["s3://models-prod", "oci://reg.example.com/models/"]',
    ),
  ),
});
const findings = (uri: string) =>
  engine
    .evaluate({ object: isvc({ uri }), operation: 'CREATE', namespace: 'ml', namespaceLabels: {} })
    .violations.map((f) => `${f.code}@${f.path}`);
const AT = '@spec.predictor.model.storageUri';

t.test('a prefix is a location, matched on segment boundaries', async (t) => {
  t.same(findings('s3://models-prod/fraud/1/'), []);
  t.same(findings('s3://models-prod-evil/fraud/1/'), [`PIN_PREFIX_NOT_ALLOWED${AT}`]);
  t.same(findings('oci://reg.example.com/models-evil/x:v1'), [
    `PIN_PREFIX_NOT_ALLOWED${AT}`,
    `PIN_OCI_UNPINNED${AT}`,
  ]);
});

t.test('a URI a client could read elsewhere is refused with its own code', async (t) => {
  t.same(findings('s3://models-prod/a/../../../other/'), [`PIN_URI_AMBIGUOUS${AT}`]);
  t.same(findings('s3://models-prod/a/%2e%2e/other/'), [`PIN_URI_AMBIGUOUS${AT}`]);
});

t.test('a prefix that is not a location is refused when the policy loads', async (t) => {
  for (const prefix of ['models-prod/', 's3://models-prod/a/../', 's3://models%2dprod/']) {
    const r = parsePolicies(policy('p', `pinning:\n  allowedPrefixes: ["${prefix}"]`), 'p.yaml');
    t.same(r.policies, [], prefix);
    t.same(
      r.diagnostics.map((d) => [d.code, d.line]),
      [['POLICY_PREFIX_INVALID', 7]],
      prefix,
    );
  }
});
