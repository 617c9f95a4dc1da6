import t from 'tap';
import { mergePolicySets, parsePolicies } from '@aviary/policies/engine';
import { policy } from '../../helpers/isvc.js';

const codes = (text: string) =>
  parsePolicies(text, 'p.yaml').diagnostics.map((d) => `${d.code}@${d.path ?? ''}`);
const keyless = (extra: string) =>
  policy(
    'p',
    `signatures:\n  required: true\n  authorities:\n    - name: gh\n      keyless:\n        issuer: https://token.actions.githubusercontent.com\n${extra}`,
  );

t.test('a valid policy loads with its position', async (t) => {
  const r = parsePolicies(policy('prod', 'mode: warn\npinning: {}'), 'p.yaml');
  t.same(r.diagnostics, []);
  t.match(r.policies, [{ name: 'prod', file: 'p.yaml', line: 1 }]);
});

t.test('a typo in a field is refused with its path and line', async (t) => {
  const r = parsePolicies(policy('p', 'canary:\n  maxTraficPercent: 10'), 'p.yaml');
  t.match(r.diagnostics, [
    { code: 'POLICY_SCHEMA', path: 'spec.canary.maxTraficPercent', line: 7 },
  ]);
  t.same(r.policies, []);
});

t.test('identity regexes must be anchored, RE2 and name a signer', async (t) => {
  t.same(codes(keyless("        subjectRegExp: '^https://github\\.com/acme/.*$'")), []);
  t.same(codes(keyless("        subjectRegExp: 'https://github\\.com/acme/'")), [
    'POLICY_REGEX_UNANCHORED@spec.signatures.authorities[0].keyless.subjectRegExp',
  ]);
  // Linear under RE2 whatever its shape, so no longer refused.
  t.same(codes(keyless("        subjectRegExp: '^(a+)+$'")), []);
  for (const all of ['^.*$', '^.+$', '^(.*)$', '^[\\s\\S]*$'])
    t.same(
      codes(keyless(`        subjectRegExp: '${all}'`)),
      ['POLICY_REGEX_MATCHES_ALL@spec.signatures.authorities[0].keyless.subjectRegExp'],
      all,
    );
  t.same(codes(keyless("        subjectRegExp: '^(?=a)a$'")), [
    'POLICY_REGEX_INVALID@spec.signatures.authorities[0].keyless.subjectRegExp',
  ]);
  t.same(codes(keyless("        subjectRegExp: '^(a[$'")), [
    'POLICY_REGEX_INVALID@spec.signatures.authorities[0].keyless.subjectRegExp',
  ]);
  t.same(codes(keyless('        subject: a\n        subjectRegExp: "^a$"')), [
    'POLICY_KEYLESS_IDENTITY@spec.signatures.authorities[0].keyless',
  ]);
  t.same(codes(keyless('')), ['POLICY_KEYLESS_IDENTITY@spec.signatures.authorities[0].keyless']);
});

t.test('certificate authorities must name their signer, as keyless ones do', async (t) => {
  const certificate = (extra: string) =>
    policy(
      'p',
      `signatures:\n  required: true\n  authorities:\n    - name: pki\n      certificate:\n        roots: [x]\n${extra}`,
    );
  t.same(codes(certificate('        subject: signer@example.com')), []);
  t.same(codes(certificate("        subjectRegExp: '^[a-z]+@example\\.com$'")), []);
  t.same(codes(certificate('')), [
    'POLICY_CERTIFICATE_IDENTITY@spec.signatures.authorities[0].certificate',
  ]);
  t.same(codes(certificate('        subject: a\n        subjectRegExp: "^a$"')), [
    'POLICY_CERTIFICATE_IDENTITY@spec.signatures.authorities[0].certificate',
  ]);
  t.same(codes(certificate("        subjectRegExp: '^.*$'")), [
    'POLICY_REGEX_MATCHES_ALL@spec.signatures.authorities[0].certificate.subjectRegExp',
  ]);
  t.same(codes(certificate("        subjectRegExp: 'signer'")), [
    'POLICY_REGEX_UNANCHORED@spec.signatures.authorities[0].certificate.subjectRegExp',
  ]);
});

t.test('authorities: exactly one kind, unique names, at least one when required', async (t) => {
  const two = policy(
    'p',
    'signatures:\n  required: true\n  authorities:\n    - name: a\n      key: { publicKey: x }\n      certificate: { roots: [x], subject: x }',
  );
  t.same(codes(two), ['POLICY_AUTHORITY_KIND@spec.signatures.authorities[0]']);
  const dup = policy(
    'p',
    'signatures:\n  required: true\n  authorities:\n    - name: a\n      key: { publicKey: x }\n    - name: a\n      key: { publicKey: z }',
  );
  t.same(codes(dup), ['POLICY_AUTHORITY_DUPLICATE@spec.signatures.authorities[1].name']);
  t.same(codes(policy('p', 'signatures:\n  required: true')), [
    'POLICY_NO_AUTHORITIES@spec.signatures',
  ]);
});

t.test('steps above the maximum are refused', async (t) => {
  t.same(codes(policy('p', 'canary:\n  maxTrafficPercent: 10\n  steps: [5, 20]')), [
    'POLICY_STEPS_ABOVE_MAX@spec.canary.steps',
  ]);
});

t.test('two policies with one name are an error', async (t) => {
  const a = parsePolicies(policy('p', 'pinning: {}'), 'a.yaml').policies;
  const b = parsePolicies(policy('p', 'pinning: {}'), 'b.yaml').policies;
  const merged = mergePolicySets([a, b]);
  t.match(merged.diagnostics, [{ code: 'POLICY_DUPLICATE_NAME', file: 'b.yaml' }]);
  t.equal(merged.policies.length, 1);
});
