import t from 'tap';
import { MAX_BUNDLE_BYTES, createSignatureVerifier } from '@aviary/policies/signature';
import {
  expected,
  fixtureBundle,
  fixtureKey,
  payloadOf,
  resigned,
  tamperedStatement,
} from './support.js';

/**
 * Tampered and hostile copies of a real model_signing bundle: each failure class answers with its
 * own code. "Re-signed" copies are signed again with the (test-only) fixture key, to reach the
 * checks that only run once the signature is valid.
 */
const exp = expected();
const DIGEST = exp.models['tiny-classifier']!;
const GOOD = fixtureBundle('tiny-classifier.p256.sigstore.json');
const KEY = fixtureKey('p256.pem');
const v = createSignatureVerifier({
  authorities: [{ name: 'p256', key: { publicKey: fixtureKey('p256.pub') } }],
});
const PROVENANCE = 'https://slsa.dev/provenance/v1';
const vouching = createSignatureVerifier({
  authorities: [
    { name: 'p256', key: { publicKey: fixtureKey('p256.pub') }, predicateTypes: [PROVENANCE] },
  ],
});
const code = (bundle: unknown, digest = DIGEST) => {
  const r = v.verify(bundle, digest);
  return r.ok ? 'OK' : r.code;
};
const statement = () => payloadOf(GOOD);
// A generic attestation (not model-signing) binds its one subject directly, once the authority
// lists its type.
const generic = (f: (s: any) => void, verifier = vouching) => {
  const s = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'm', digest: { sha256: DIGEST.slice(7) } }],
    predicateType: PROVENANCE,
    predicate: {},
  };
  f(s);
  return verifier.verify(resigned(GOOD, s, KEY), DIGEST);
};

t.test('the untouched bundle verifies', async (t) => t.equal(code(GOOD), 'OK'));

t.test('tampered content: SIG_INVALID', async (t) => {
  t.equal(
    code(tamperedStatement(GOOD, (s) => (s.predicate.resources[0].digest = '0'.repeat(64)))),
    'SIG_INVALID',
    'a resource digest',
  );
  t.equal(
    code(tamperedStatement(GOOD, (s) => (s.subject[0].name = 'renamed'))),
    'SIG_INVALID',
    'any payload byte',
  );
  const sig = structuredClone(GOOD);
  const raw = Buffer.from(sig.dsseEnvelope.signatures[0].sig, 'base64');
  raw[raw.length - 1]! ^= 1;
  sig.dsseEnvelope.signatures[0].sig = raw.toString('base64');
  t.equal(code(sig), 'SIG_INVALID', 'the signature bytes');
  const type = structuredClone(GOOD);
  type.dsseEnvelope.payloadType = 'application/json';
  t.equal(code(type), 'SIG_INVALID', 'the payload type (it is signed too)');
});

t.test('wrong signer: SIG_UNTRUSTED', async (t) => {
  t.equal(
    code(fixtureBundle('tiny-classifier.other-p256.sigstore.json')),
    'SIG_UNTRUSTED',
    'another key',
  );
  const noHint = structuredClone(fixtureBundle('tiny-classifier.other-p256.sigstore.json'));
  delete noHint.verificationMaterial.publicKey.hint;
  t.equal(code(noHint), 'SIG_UNTRUSTED', 'another key, no hint to say so');
  const keyless = createSignatureVerifier({
    authorities: [
      {
        name: 'gh',
        keyless: { issuer: 'https://token.actions.githubusercontent.com', subject: 'x' },
      },
    ],
    trustedRoots: { 'public-good': {} },
  });
  t.match(
    keyless.verify(GOOD, DIGEST),
    { ok: false, code: 'SIG_UNTRUSTED' },
    'a key-signed bundle, keyless policy',
  );
});

t.test('statement rules: SIG_STATEMENT_INVALID (validly signed, wrong content)', async (t) => {
  const edit = (f: (s: any) => void) => {
    const s = statement();
    f(s);
    return code(resigned(GOOD, s, KEY));
  };
  t.equal(
    edit(() => {}),
    'OK',
    're-signing alone changes nothing',
  );
  t.equal(
    edit((s) => (s.predicate.resources[0].digest = '0'.repeat(64))),
    'SIG_STATEMENT_INVALID',
    'root not recomputable from the resources',
  );
  t.equal(
    edit((s) => s.predicate.resources.reverse()),
    'SIG_STATEMENT_INVALID',
    'resources reordered',
  );
  t.equal(
    edit((s) => (s.predicate.resources[0].digest = 'zz')),
    'SIG_STATEMENT_INVALID',
    'a non-hex resource digest',
  );
  t.equal(
    edit((s) => delete s.predicate.resources),
    'SIG_STATEMENT_INVALID',
    'no resources',
  );
  t.equal(
    edit((s) => s.subject.push(s.subject[0])),
    'SIG_STATEMENT_INVALID',
    'two subjects',
  );
  t.equal(
    edit((s) => (s.subject = [])),
    'SIG_STATEMENT_INVALID',
    'no subject',
  );
  t.equal(
    edit((s) => (s.subject[0].digest = { sha512: 'ab' })),
    'SIG_STATEMENT_INVALID',
    'no sha256 subject digest',
  );
  t.equal(
    edit((s) => (s._type = 'https://in-toto.io/Statement/v2')),
    'SIG_STATEMENT_INVALID',
    'unknown _type',
  );
  t.equal(
    edit((s) => (s._type = 'https://in-toto.io/Statement/v0.1')),
    'SIG_STATEMENT_INVALID',
    'model-signing needs Statement v1',
  );
  t.equal(
    edit((s) => (s.predicateType = 'https://model_signing/signature/v2.0')),
    'SIG_STATEMENT_INVALID',
    'unknown model-signing version',
  );
  t.equal(
    edit((s) => (s.predicateType = 'https://model_signing/Digests/v0.1')),
    'SIG_STATEMENT_INVALID',
    'compat predicate not allowed',
  );
  t.equal(
    code(resigned(GOOD, statement(), KEY, 'application/json')),
    'SIG_STATEMENT_INVALID',
    'payloadType not in-toto',
  );
  t.equal(
    code(resigned(GOOD, ['not', 'an', 'object'], KEY)),
    'SIG_STATEMENT_INVALID',
    'payload not an object',
  );
  t.match(
    generic(() => {}),
    { ok: true, format: 'dsse' },
  );
  t.match(
    generic((s) => (s.subject[0].digest.sha256 = s.subject[0].digest.sha256.toUpperCase())),
    { ok: true },
    'hex case does not matter in a statement',
  );
  t.match(
    generic((s) => s.subject.push({ name: 'other', digest: { sha256: '1'.repeat(64) } })),
    { ok: false, code: 'SIG_STATEMENT_INVALID' },
  );
});

t.test('statements the authority does not vouch for: SIG_PREDICATE_NOT_ALLOWED', async (t) => {
  // Genuine signatures by the trusted key (re-signed with node:crypto), each binding the digest.
  for (const type of [
    PROVENANCE,
    'https://cosign.sigstore.dev/attestation/vuln/v1',
    '',
    'HTTPS://MODEL_SIGNING/SIGNATURE/V1.0',
    'https://slsa.dev/Provenance/v1',
  ]) {
    t.match(
      generic((s) => (s.predicateType = type), v),
      { ok: false, code: 'SIG_PREDICATE_NOT_ALLOWED' },
      `unlisted ${JSON.stringify(type)}`,
    );
  }
  t.match(
    generic((s) => (s.predicateType = PROVENANCE.toUpperCase())),
    { ok: false, code: 'SIG_PREDICATE_NOT_ALLOWED' },
    'listed types compare exactly',
  );
  t.match(
    generic(() => {}),
    { ok: true, format: 'dsse', authority: 'p256' },
    'listed',
  );
  t.match(v.verify(GOOD, DIGEST), { ok: true, format: 'model-signing' }, 'model-signing v1.0');
});

t.test('valid signature for another artifact: SIG_DIGEST_MISMATCH', async (t) => {
  t.equal(code(GOOD, exp.models['tiny-classifier-v2']), 'SIG_DIGEST_MISMATCH');
  t.equal(code(fixtureBundle('tiny-classifier-v2.p256.sigstore.json')), 'SIG_DIGEST_MISMATCH');
});

t.test('bundle envelope problems', async (t) => {
  const twice = structuredClone(GOOD);
  twice.dsseEnvelope.signatures.push(twice.dsseEnvelope.signatures[0]);
  t.equal(code(twice), 'SIG_MULTIPLE_SIGNATURES');
  for (const mediaType of [
    'application/vnd.dev.sigstore.bundle+json;version=0.4',
    'application/vnd.dev.sigstore.bundle.v0.4+json',
    'text/plain',
  ]) {
    t.equal(code({ ...GOOD, mediaType }), 'SIG_BUNDLE_UNSUPPORTED', mediaType);
  }
  const malformed: [string, unknown][] = [
    ['not JSON', '{"mediaType":'],
    ['JSON text of an array', '[]'],
    ['an array', []],
    ['null', null],
    ['a number', 42],
    ['undefined', undefined],
    ['no mediaType (old cosign bundle)', { base64Signature: 'AA==', cert: 'x', rekorBundle: {} }],
    ['no verificationMaterial', { ...GOOD, verificationMaterial: undefined }],
    [
      'two kinds of material',
      { ...GOOD, verificationMaterial: { publicKey: {}, certificate: { rawBytes: 'AA==' } } },
    ],
    ['no content', { mediaType: GOOD.mediaType, verificationMaterial: GOOD.verificationMaterial }],
    [
      'both contents',
      {
        ...GOOD,
        messageSignature: {
          messageDigest: { algorithm: 'SHA2_256', digest: 'AA==' },
          signature: 'AA==',
        },
      },
    ],
    ['no signatures', { ...GOOD, dsseEnvelope: { ...GOOD.dsseEnvelope, signatures: [] } }],
    [
      'bad base64 signature',
      { ...GOOD, dsseEnvelope: { ...GOOD.dsseEnvelope, signatures: [{ sig: 'MEUC!!!!' }] } },
    ],
    [
      'bad base64 payload',
      { ...GOOD, dsseEnvelope: { ...GOOD.dsseEnvelope, payload: 'e30=e30=' } },
    ],
    ['hint not a string', { ...GOOD, verificationMaterial: { publicKey: { hint: 7 } } }],
    [
      'empty certificate chain',
      { ...GOOD, verificationMaterial: { x509CertificateChain: { certificates: [] } } },
    ],
    [
      'certificate not DER',
      {
        ...GOOD,
        verificationMaterial: { x509CertificateChain: { certificates: [{ rawBytes: 'AAAA' }] } },
      },
    ],
    ['nested too deeply', JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`)],
    ['a BigInt', { ...GOOD, extra: 1n }],
    ['not UTF-8 bytes', new Uint8Array([0xff, 0xfe, 0x7b])],
  ];
  for (const [name, bundle] of malformed) t.equal(code(bundle), 'SIG_BUNDLE_MALFORMED', name);
  const throwing = { ...GOOD };
  Object.defineProperty(throwing, 'verificationMaterial', {
    enumerable: true,
    get: () => {
      throw new Error('boom');
    },
  });
  t.equal(code(throwing), 'SIG_BUNDLE_MALFORMED', 'a getter that throws');
  t.equal(code(JSON.stringify(GOOD)), 'OK', 'JSON text is accepted');
  t.equal(code(Buffer.from(JSON.stringify(GOOD))), 'OK', 'and bytes');
});

t.test('message signatures', async (t) => {
  const cosign = createSignatureVerifier({
    authorities: [{ name: 'ci', key: { publicKey: fixtureKey('cosign.pub') } }],
  });
  const blob = fixtureBundle('blob.cosign-sign-blob.sigstore.json');
  const d = exp.models['blob/model.onnx']!;
  const with_ = (f: (b: any) => void) => {
    const b = structuredClone(blob);
    f(b);
    const r = cosign.verify(b, d);
    return r.ok ? 'OK' : r.code;
  };
  t.equal(
    with_(() => {}),
    'OK',
  );
  t.equal(
    with_((b) => (b.messageSignature.messageDigest.algorithm = 'SHA2_384')),
    'SIG_BUNDLE_UNSUPPORTED',
  );
  t.equal(
    with_((b) => (b.messageSignature.messageDigest.digest = Buffer.alloc(31).toString('base64'))),
    'SIG_BUNDLE_MALFORMED',
  );
  t.equal(
    with_(
      (b) =>
        (b.messageSignature.messageDigest.digest = Buffer.from(DIGEST.slice(7), 'hex').toString(
          'base64',
        )),
    ),
    'SIG_INVALID',
    'claims another digest',
  );
  t.equal(
    with_((b) => (b.messageSignature.messageDigest.algorithm = 1)),
    'OK',
    'the enum by number',
  );
});

t.test('the digest argument: SIG_DIGEST_INVALID', async (t) => {
  const bad = [
    DIGEST.slice(0, -1),
    `${DIGEST}0`,
    DIGEST.toUpperCase(),
    `sha256:${DIGEST.slice(7).toUpperCase()}`,
    `sha512:${DIGEST.slice(7)}`,
    DIGEST.slice(7),
    `sha256:${'g'.repeat(64)}`,
    ` ${DIGEST}`,
    '',
    undefined,
    null,
    42,
    { toString: () => DIGEST },
  ];
  for (const d of bad) {
    t.match(v.verify(GOOD, d as string), { ok: false, code: 'SIG_DIGEST_INVALID' }, String(d));
  }
});

t.test('size limit: SIG_BUNDLE_TOO_LARGE, decided before parsing or hashing', async (t) => {
  const huge = 'x'.repeat(10 * 1024 * 1024);
  const started = performance.now();
  t.equal(code(`{"mediaType":"${huge}"}`), 'SIG_BUNDLE_TOO_LARGE', '10 MB of JSON text');
  t.equal(code({ ...GOOD, padding: huge }), 'SIG_BUNDLE_TOO_LARGE', 'a 10 MB object');
  t.equal(code(Buffer.from(huge)), 'SIG_BUNDLE_TOO_LARGE', '10 MB of bytes');
  t.ok(performance.now() - started < 250, 'in well under a second');

  let reads = 0;
  const items = new Proxy(new Array(10_000_000).fill(0), {
    get: (target, p, r) => {
      if (typeof p === 'string' && /^\d+$/.test(p)) reads++;
      return Reflect.get(target, p, r) as unknown;
    },
  });
  t.equal(code({ ...GOOD, items }), 'SIG_BUNDLE_TOO_LARGE', '10 million array items');
  t.ok(reads < 1_100_000, `measuring stops at the limit (${reads} of 10,000,000 items read)`);
  const cyclic: any = { ...GOOD };
  cyclic.self = cyclic;
  t.equal(code(cyclic), 'SIG_BUNDLE_TOO_LARGE', 'a cyclic object ends too');

  const padding = MAX_BUNDLE_BYTES - JSON.stringify({ ...GOOD, p: '' }).length;
  t.equal(code({ ...GOOD, p: 'x'.repeat(padding) }), 'OK', 'exactly 1 MiB is allowed');
  t.equal(
    code({ ...GOOD, p: 'x'.repeat(padding + 1) }),
    'SIG_BUNDLE_TOO_LARGE',
    'one byte more is not',
  );
});

t.test('random corruption never throws and never verifies', async (t) => {
  const text = JSON.stringify(GOOD);
  let seed = 42;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const seen = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const chars = [...text];
    for (let j = 0; j <= rand(3); j++)
      chars[rand(chars.length)] = String.fromCharCode(32 + rand(95));
    const mutated = chars.join('');
    if (mutated === text) continue;
    const r = v.verify(mutated, DIGEST);
    seen.add(r.ok ? 'OK' : r.code);
    if (r.ok) {
      // Only bytes outside what is signed may change: the JSON must still mean the same bundle.
      t.same(JSON.parse(mutated).dsseEnvelope.payload, GOOD.dsseEnvelope.payload);
    }
    t.not(r.ok ? 'OK' : r.code, 'SIG_INTERNAL_ERROR', `mutation ${i}`);
  }
  t.ok(seen.size > 2, `several distinct outcomes: ${[...seen].sort().join(', ')}`);
});
