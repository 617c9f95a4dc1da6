import t from 'tap';
import { parsePolicies } from '@aviary/policies/engine';
import { buildPolicyVerifiers } from '@aviary/policies/signature';
import { policy } from '../../helpers/isvc.js';
import { expected, fixtureBundle, fixtureKey } from './support.js';

// The real `cosign attest-blob --type https://aviary.dev/fixtures/training/v1` fixture, verified
// through a policy as the webhook and the CLI do: its type counts only when the authority lists it.
const TRAINING = 'https://aviary.dev/fixtures/training/v1';
const ATTESTATION = fixtureBundle('blob.cosign-attest-blob.sigstore.json');
const SIGN_BLOB = fixtureBundle('blob.cosign-sign-blob.sigstore.json');
const DIGEST = expected().models['blob/model.onnx']!;
const pem = fixtureKey('cosign.pub').trimEnd().replaceAll('\n', '\n          ');

const verifierFor = (extra: string) => {
  const text = policy(
    'p',
    `signatures:\n  required: true\n  authorities:\n    - name: ci\n${extra}      key:\n        publicKey: |\n          ${pem}\n`,
  );
  const loaded = parsePolicies(text, 'p.yaml');
  if (loaded.diagnostics.length > 0) throw new Error(JSON.stringify(loaded.diagnostics));
  const built = buildPolicyVerifiers(loaded.policies, {});
  return built.verifiers.get('p')!;
};

t.test('a listed predicate type is vouched for by its authority', async (t) => {
  const v = verifierFor(`      predicateTypes: ['${TRAINING}']\n`);
  t.match(v.verify(ATTESTATION, DIGEST), { ok: true, format: 'dsse', authority: 'ci' });
  t.match(v.verify(SIGN_BLOB, DIGEST), { ok: true, format: 'message-signature' });
});

t.test('without predicateTypes only model signatures and message signatures count', async (t) => {
  for (const extra of ['', `      predicateTypes: ['${TRAINING.toUpperCase()}']\n`]) {
    const v = verifierFor(extra);
    t.match(v.verify(ATTESTATION, DIGEST), { ok: false, code: 'SIG_PREDICATE_NOT_ALLOWED' });
    t.match(v.verify(SIGN_BLOB, DIGEST), { ok: true, format: 'message-signature' });
  }
});

t.test('predicateTypes is checked by the policy schema', async (t) => {
  for (const bad of ["      predicateTypes: ['']\n", '      predicateTypes: x\n']) {
    const text = policy(
      'p',
      `signatures:\n  authorities:\n    - name: ci\n${bad}      key: { publicKey: x }\n`,
    );
    t.match(parsePolicies(text, 'p.yaml').diagnostics, [
      { code: 'POLICY_SCHEMA', path: /^spec\.signatures\.authorities\[0\]\.predicateTypes/ },
    ]);
  }
});
