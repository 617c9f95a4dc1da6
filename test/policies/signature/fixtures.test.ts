import { X509Certificate } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { createSignatureVerifier, type Authority } from '@aviary/policies/signature';
import { EXAMPLES } from '../../helpers/paths.js';
import {
  FIXTURE_SIGNER,
  SIGNING,
  VECTORS,
  expected,
  fixtureBundle,
  fixtureKey,
  folderRootDigest,
  json,
  text,
} from './support.js';

// Real signatures made by model_signing 1.1.1 and cosign v3.1.3 (test/fixtures/signing/generate.sh).
const exp = expected();
// The one attestation fixture's `cosign attest-blob --type`, which its authority must list.
const TRAINING = 'https://aviary.dev/fixtures/training/v1';
const authorityFor = (keyFile: string): Authority =>
  keyFile.endsWith('.pem')
    ? {
        name: 'pki',
        certificate: { roots: [text(path.join(SIGNING, keyFile))], subject: FIXTURE_SIGNER },
      }
    : {
        name: 'key',
        key: { publicKey: text(path.join(SIGNING, keyFile)) },
        predicateTypes: [TRAINING],
      };

t.test('every committed real signature verifies for its digest', async (t) => {
  t.equal(exp.signatures.length, 9);
  for (const s of exp.signatures) {
    const v = createSignatureVerifier({ authorities: [authorityFor(s.key)] });
    const r = v.verify(json(path.join(SIGNING, s.file)), s.digest);
    t.match(r, { ok: true, format: s.format }, `${s.file} (${s.tool} ${s.command})`);
  }
});

t.test('the recorded digests are the folders’ root digests', async (t) => {
  t.equal(
    exp.models['tiny-classifier'],
    folderRootDigest(path.join(SIGNING, 'models/tiny-classifier')),
  );
  t.equal(
    exp.models['tiny-classifier-v2'],
    folderRootDigest(path.join(SIGNING, 'models/tiny-classifier-v2')),
  );
  for (const [release, digest] of Object.entries(exp.examples.releases)) {
    t.equal(digest, folderRootDigest(path.join(SIGNING, 'examples', release)), release);
  }
});

t.test('real signatures against the wrong inputs', async (t) => {
  const p256 = { name: 'p256', key: { publicKey: fixtureKey('p256.pub') } };
  const tiny = exp.models['tiny-classifier']!;
  const v = createSignatureVerifier({ authorities: [p256] });
  const cases: [string, unknown, string, string][] = [
    [
      'a valid signature for another model',
      fixtureBundle('tiny-classifier-v2.p256.sigstore.json'),
      tiny,
      'SIG_DIGEST_MISMATCH',
    ],
    [
      'signed by a key no authority holds (hint)',
      fixtureBundle('tiny-classifier.other-p256.sigstore.json'),
      tiny,
      'SIG_UNTRUSTED',
    ],
    [
      'a P-384 signature, P-256 authority only',
      fixtureBundle('tiny-classifier.p384.sigstore.json'),
      tiny,
      'SIG_UNTRUSTED',
    ],
    [
      'certificate mode, no PKI authority',
      fixtureBundle('tiny-classifier.certificate.sigstore.json'),
      tiny,
      'SIG_UNTRUSTED',
    ],
    [
      'cosign blob signature, other key',
      fixtureBundle('blob.cosign-sign-blob.sigstore.json'),
      exp.models['blob/model.onnx']!,
      'SIG_UNTRUSTED',
    ],
  ];
  for (const [name, bundle, digest, code] of cases)
    t.match(v.verify(bundle, digest), { ok: false, code }, name);

  const wrongHash = createSignatureVerifier({
    authorities: [
      { name: 'p384', key: { publicKey: fixtureKey('p384.pub'), hashAlgorithm: 'sha256' } },
    ],
  });
  t.match(
    wrongHash.verify(fixtureBundle('tiny-classifier.p384.sigstore.json'), tiny),
    { ok: false, code: 'SIG_INVALID' },
    'P-384 checked with SHA-256 (what sigstore-js does) fails',
  );

  const cosignKey = { name: 'ci', key: { publicKey: fixtureKey('cosign.pub') } };
  const cosign = createSignatureVerifier({
    authorities: [{ ...cosignKey, predicateTypes: [TRAINING] }],
  });
  t.match(
    cosign.verify(fixtureBundle('blob.cosign-sign-blob.sigstore.json'), tiny),
    { ok: false, code: 'SIG_DIGEST_MISMATCH' },
    'a cosign blob signature binds the blob digest only',
  );
  t.match(
    cosign.verify(
      fixtureBundle('blob.cosign-attest-blob.sigstore.json'),
      exp.models['blob/model.onnx']!,
    ),
    {
      ok: true,
      format: 'dsse',
      authority: 'ci',
    },
  );
  // The same attestation when the authority vouches only for model signatures (the default),
  // or for a type that differs only in case.
  for (const predicateTypes of [
    undefined,
    [TRAINING.toUpperCase()],
    ['https://slsa.dev/provenance/v1'],
  ]) {
    const strict = createSignatureVerifier({
      authorities: [{ ...cosignKey, ...(predicateTypes ? { predicateTypes } : {}) }],
    });
    t.match(
      strict.verify(
        fixtureBundle('blob.cosign-attest-blob.sigstore.json'),
        exp.models['blob/model.onnx']!,
      ),
      { ok: false, code: 'SIG_PREDICATE_NOT_ALLOWED' },
      `predicateTypes ${JSON.stringify(predicateTypes)}`,
    );
  }
});

t.test('certificate mode: roots, intermediates and time', async (t) => {
  const bundle = fixtureBundle('tiny-classifier.certificate.sigstore.json');
  const tiny = exp.models['tiny-classifier']!;
  const pki = (roots: string[], now?: Date) =>
    createSignatureVerifier({
      authorities: [{ name: 'pki', certificate: { roots, subject: FIXTURE_SIGNER } }],
      ...(now ? { now: () => now } : {}),
    });
  t.match(pki([text(path.join(SIGNING, 'keys/ca/root.pem'))]).verify(bundle, tiny), {
    ok: true,
    signer: 'O=Aviary Test, CN=Aviary Test Model Signer',
  });
  t.match(
    pki([text(path.join(SIGNING, 'keys/ca/intermediate.pem'))]).verify(bundle, tiny),
    { ok: true },
    'an intermediate configured as the anchor is enough',
  );
  const otherRoot = text(path.join(VECTORS, 'model-transparency/keys/certificate/ca-cert.pem'));
  t.match(
    pki([otherRoot]).verify(bundle, tiny),
    { ok: false, code: 'SIG_UNTRUSTED' },
    'another PKI',
  );
  t.match(
    pki([text(path.join(SIGNING, 'keys/ca/root.pem'))], new Date('2100-01-01T00:00:00Z')).verify(
      bundle,
      tiny,
    ),
    { ok: false, code: 'SIG_CERT_EXPIRED' },
  );
  t.match(
    pki([text(path.join(SIGNING, 'keys/ca/root.pem'))], new Date('2000-01-01T00:00:00Z')).verify(
      bundle,
      tiny,
    ),
    { ok: false, code: 'SIG_CERT_EXPIRED' },
    'not yet valid',
  );
});

t.test(
  'certificate mode: a second candidate issuer listed first (model_signing verifies both)',
  async (t) => {
    const tiny = exp.models['tiny-classifier']!;
    const root = text(path.join(SIGNING, 'keys/ca/root.pem'));
    const at = (now: Date) =>
      createSignatureVerifier({
        authorities: [{ name: 'pki', certificate: { roots: [root], subject: FIXTURE_SIGNER } }],
        now: () => now,
      });
    // The intermediate cross-signed by a root the policy does not trust, then the genuine one.
    const cross = fixtureBundle('tiny-classifier.certificate-cross-signed.sigstore.json');
    t.match(at(new Date()).verify(cross, tiny), {
      ok: true,
      signer: 'O=Aviary Test, CN=Aviary Test Model Signer',
    });
    t.match(
      createSignatureVerifier({
        authorities: [
          {
            name: 'pki',
            certificate: {
              roots: [text(path.join(SIGNING, 'keys/ca/other-root.pem'))],
              subject: FIXTURE_SIGNER,
            },
          },
        ],
      }).verify(cross, tiny),
      { ok: true },
      'and through the cross-signature, for a policy trusting the other root',
    );
    // The intermediate re-issued for one day, then the genuine one: once the first has expired.
    const renewed = fixtureBundle('tiny-classifier.certificate-renewed.sigstore.json');
    const short = new X509Certificate(text(path.join(SIGNING, 'keys/ca/intermediate-short.pem')));
    const afterShort = new Date(new Date(short.validTo).getTime() + 86_400_000);
    t.match(at(afterShort).verify(renewed, tiny), { ok: true }, 'the first candidate expired');
  },
);

t.test('the example GitOps repository', async (t) => {
  const v = createSignatureVerifier({
    authorities: [
      {
        name: 'release-key',
        key: { publicKey: text(path.join(EXAMPLES, 'keys/release-key.pub')) },
      },
    ],
  });
  t.equal(text(path.join(EXAMPLES, 'keys/release-key.pub')), fixtureKey('release-key.pub'));
  t.equal(Object.keys(exp.examples.releases).length, 7);
  for (const [release, digest] of Object.entries(exp.examples.releases)) {
    const bundle = json(path.join(EXAMPLES, 'signatures', `${release}.sigstore.json`));
    t.match(
      v.verify(bundle, digest),
      { ok: true, authority: 'release-key', format: 'model-signing' },
      release,
    );
  }
  const tampered = json(path.join(EXAMPLES, 'signatures/tampered.sigstore.json'));
  t.match(v.verify(tampered, exp.examples.releases['fraud-1.2.0']!), {
    ok: false,
    code: 'SIG_DIGEST_MISMATCH',
  });
  t.match(
    v.verify(tampered, exp.examples.tampered.digest),
    { ok: true },
    'it is a genuine signature of the rogue model',
  );
});

t.test('each example release pins the digest its signature binds', async (t) => {
  let seen = 0;
  for (const app of readdirSync(EXAMPLES).filter((d) =>
    statSync(path.join(EXAMPLES, d)).isDirectory(),
  )) {
    for (const file of readdirSync(path.join(EXAMPLES, app)).filter((f) =>
      f.endsWith('.modelrelease.yaml'),
    )) {
      const spec = parse(text(path.join(EXAMPLES, app, file))).spec;
      for (const artifact of [spec.stable, spec.canary].filter(Boolean)) {
        const release = /signatures\/(.+)\.sigstore\.json$/.exec(artifact.signature)![1]!;
        t.equal(artifact.digest, exp.examples.releases[release], `${app}: ${release}`);
        if (artifact.uri.startsWith('oci://'))
          t.ok(artifact.uri.endsWith(`@${artifact.digest}`), 'OCI URI pins the same digest');
        seen++;
      }
    }
  }
  t.equal(seen, 7);
});
