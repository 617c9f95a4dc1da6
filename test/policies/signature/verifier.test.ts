import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import t from 'tap';
import {
  SignatureConfigError,
  createSignatureVerifier,
  loadPublicGoodTrustedRoot,
  type Authority,
  type SignatureVerifierOptions,
} from '@aviary/policies/signature';
import {
  FIXTURE_SIGNER,
  SIGNING,
  VECTORS,
  expected,
  fixtureBundle,
  fixtureKey,
  payloadOf,
  resigned,
  text,
} from './support.js';

const exp = expected();
const SECP256K1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();
const DIGEST = exp.models['tiny-classifier']!;
const GOOD = fixtureBundle('tiny-classifier.p256.sigstore.json');
const p256: Authority = { name: 'p256', key: { publicKey: fixtureKey('p256.pub') } };
const roots = { 'public-good': loadPublicGoodTrustedRoot() };
const keyless = (k: Record<string, string>): Authority => ({
  name: 'gh',
  keyless: { issuer: 'https://token.actions.githubusercontent.com', ...k },
});

t.test('configuration is checked when the verifier is built', async (t) => {
  const refused: [string, SignatureVerifierOptions, string][] = [
    [
      'unanchored regex',
      {
        authorities: [keyless({ subjectRegExp: 'https://github\\.com/acme/.*' })],
        trustedRoots: roots,
      },
      'SIG_REGEX_UNANCHORED',
    ],
    [
      'no leading ^',
      { authorities: [keyless({ subjectRegExp: 'acme$' })], trustedRoots: roots },
      'SIG_REGEX_UNANCHORED',
    ],
    [
      'escaped trailing $',
      { authorities: [keyless({ subjectRegExp: '^acme\\$' })], trustedRoots: roots },
      'SIG_REGEX_UNANCHORED',
    ],
    [
      'invalid regex',
      { authorities: [keyless({ subjectRegExp: '^(acme$' })], trustedRoots: roots },
      'SIG_CONFIG_INVALID',
    ],
    [
      'a regex RE2 cannot run (lookahead)',
      { authorities: [keyless({ subjectRegExp: '^(?=a)acme$' })], trustedRoots: roots },
      'SIG_CONFIG_INVALID',
    ],
    [
      'a regex matching every identity',
      { authorities: [keyless({ subjectRegExp: '^.+$' })], trustedRoots: roots },
      'SIG_CONFIG_INVALID',
    ],
    [
      'predicateTypes not a list of strings',
      { authorities: [{ ...p256, predicateTypes: [''] }] },
      'SIG_CONFIG_INVALID',
    ],
    [
      'subject and regex',
      { authorities: [keyless({ subject: 'a', subjectRegExp: '^a$' })], trustedRoots: roots },
      'SIG_CONFIG_INVALID',
    ],
    [
      'no identity at all',
      { authorities: [keyless({})], trustedRoots: roots },
      'SIG_CONFIG_INVALID',
    ],
    [
      'trusted root not supplied',
      { authorities: [keyless({ subject: 'a' })] },
      'SIG_CONFIG_INVALID',
    ],
    [
      'unknown trusted root',
      { authorities: [keyless({ subject: 'a', trustedRoot: 'staging' })], trustedRoots: roots },
      'SIG_CONFIG_INVALID',
    ],
    [
      'trusted root not an object',
      { authorities: [keyless({ subject: 'a' })], trustedRoots: { 'public-good': 'x' } },
      'SIG_CONFIG_INVALID',
    ],
    [
      'bad public key',
      { authorities: [{ name: 'k', key: { publicKey: 'not a key' } }] },
      'SIG_CONFIG_INVALID',
    ],
    [
      'unsupported curve',
      { authorities: [{ name: 'k', key: { publicKey: SECP256K1 } }] },
      'SIG_CONFIG_INVALID',
    ],
    [
      'root that is no CA',
      {
        authorities: [
          {
            name: 'c',
            certificate: { roots: [text(path.join(SIGNING, 'keys/ca/leaf.pem'))], subject: 'x' },
          },
        ],
      },
      'SIG_CONFIG_INVALID',
    ],
    [
      'no roots',
      { authorities: [{ name: 'c', certificate: { roots: [], subject: 'x' } }] },
      'SIG_CONFIG_INVALID',
    ],
    ['duplicate names', { authorities: [p256, p256] }, 'SIG_CONFIG_INVALID'],
    [
      'two kinds in one authority',
      { authorities: [{ ...p256, certificate: { roots: [] } }] },
      'SIG_CONFIG_INVALID',
    ],
    [
      'nameless',
      { authorities: [{ key: p256.key } as unknown as Authority] },
      'SIG_CONFIG_INVALID',
    ],
    ['negative cache', { authorities: [p256], cacheSize: -1 }, 'SIG_CONFIG_INVALID'],
    ['no authorities array', {} as SignatureVerifierOptions, 'SIG_CONFIG_INVALID'],
  ];
  for (const [name, opts, code] of refused) {
    t.throws(() => createSignatureVerifier(opts), { code }, name);
    try {
      createSignatureVerifier(opts);
    } catch (e) {
      t.ok(e instanceof SignatureConfigError, `${name}: a SignatureConfigError`);
    }
  }
  t.ok(
    createSignatureVerifier({ authorities: [] }),
    'no authorities is allowed (nothing verifies)',
  );
  t.match(createSignatureVerifier({ authorities: [] }).verify(GOOD, DIGEST), {
    ok: false,
    code: 'SIG_UNTRUSTED',
  });
});

t.test('an anchored regex is a full match even with alternation', async (t) => {
  // Only the regex logic is under test; the keyless vector it runs against is model-transparency's.
  const bundle = JSON.parse(
    text(path.join(VECTORS, 'model-transparency/v1.1.0-sigstore/model.sig')),
  );
  const d = `sha256:${payloadOf(bundle).subject[0].digest.sha256}`;
  const run = (subjectRegExp: string) =>
    createSignatureVerifier({
      authorities: [
        {
          name: 'ibm',
          keyless: { issuer: 'https://sigstore.verify.ibm.com/oauth2', subjectRegExp },
        },
      ],
      trustedRoots: roots,
    }).verify(bundle, d);
  t.match(
    run('^nobody@example\\.com|ibm\\.com$'),
    { ok: false, code: 'SIG_UNTRUSTED' },
    '`^a|b$` does not match "…b"',
  );
  t.match(run('^nobody@example\\.com$|^stefanb@us\\.ibm\\.com$'), { ok: true });
});

t.test('results are cached by bundle, digest and configuration', async (t) => {
  const v = createSignatureVerifier({ authorities: [p256], cacheSize: 2 });
  const first = v.verify(GOOD, DIGEST);
  t.equal(v.verify(GOOD, DIGEST), first, 'a hit returns the cached result');
  t.equal(v.verify(JSON.stringify(GOOD), DIGEST), first, 'the same JSON text is the same entry');
  const mismatch = v.verify(GOOD, exp.models['tiny-classifier-v2']!);
  t.match(mismatch, { ok: false, code: 'SIG_DIGEST_MISMATCH' }, 'the digest is part of the key');
  t.equal(
    v.verify(GOOD, exp.models['tiny-classifier-v2']!),
    mismatch,
    'deterministic failures are cached too',
  );
  v.verify(
    fixtureBundle('tiny-classifier-v2.p256.sigstore.json'),
    exp.models['tiny-classifier-v2']!,
  );
  t.not(v.verify(GOOD, DIGEST), first, 'the least recently used entry was evicted (size 2)');

  const other = createSignatureVerifier({ authorities: [{ ...p256, name: 'renamed' }] });
  t.not(other.fingerprint, v.fingerprint, 'the configuration has its own fingerprint');
  t.equal(
    createSignatureVerifier({ authorities: [p256] }).fingerprint,
    v.fingerprint,
    'and it is stable',
  );
  t.match(other.verify(GOOD, DIGEST), { ok: true, authority: 'renamed' });
  const uncached = createSignatureVerifier({ authorities: [p256], cacheSize: 0 });
  t.not(
    uncached.verify(GOOD, DIGEST),
    uncached.verify(GOOD, DIGEST),
    'cacheSize 0 disables caching',
  );
});

t.test('a certificate-mode success expires with the certificate', async (t) => {
  let now = new Date();
  const v = createSignatureVerifier({
    authorities: [
      {
        name: 'pki',
        certificate: {
          roots: [text(path.join(SIGNING, 'keys/ca/root.pem'))],
          subject: FIXTURE_SIGNER,
        },
      },
    ],
    now: () => now,
  });
  const bundle = fixtureBundle('tiny-classifier.certificate.sigstore.json');
  t.match(v.verify(bundle, DIGEST), { ok: true });
  now = new Date('2100-01-01T00:00:00Z');
  t.match(
    v.verify(bundle, DIGEST),
    { ok: false, code: 'SIG_CERT_EXPIRED' },
    'not served from the cache',
  );
  now = new Date();
  t.match(v.verify(bundle, DIGEST), { ok: true }, 'expiry is not cached either');
});

t.test('no exception escapes verify', async (t) => {
  const v = createSignatureVerifier({ authorities: [p256] });
  const hostile: unknown[] = [
    Symbol('x'),
    () => GOOD,
    new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('trap');
        },
      },
    ),
    Object.create(null),
    { __proto__: GOOD },
    JSON.parse('{"__proto__": {"mediaType": "x"}}'),
    new Date(),
    new Map([[1, 2]]),
  ];
  for (const b of hostile) {
    t.doesNotThrow(() => v.verify(b, DIGEST));
    t.equal(v.verify(b, DIGEST).ok, false);
  }
  t.match(v.verify(GOOD, Symbol('d') as unknown as string), {
    ok: false,
    code: 'SIG_DIGEST_INVALID',
  });
});

t.test('an internal failure is reported, not thrown, and never cached', async (t) => {
  let clock: () => Date = () => new Date('invalid');
  const v = createSignatureVerifier({ authorities: [p256], now: () => clock() });
  t.match(v.verify(GOOD, DIGEST), { ok: false, code: 'SIG_INTERNAL_ERROR' }, 'an invalid date');
  clock = () => {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a hostile non-Error is the point
    throw {
      toString: () => {
        throw new Error('worse');
      },
    };
  };
  t.match(v.verify(GOOD, DIGEST), { ok: false, code: 'SIG_INTERNAL_ERROR' }, 'a throwing clock');
  clock = () => new Date();
  t.match(v.verify(GOOD, DIGEST), { ok: true }, 'the next call verifies normally');
});

t.test('multiple authorities: the first that accepts, else the most telling failure', async (t) => {
  const other: Authority = { name: 'other', key: { publicKey: fixtureKey('other-p256.pub') } };
  const pki: Authority = {
    name: 'pki',
    certificate: { roots: [text(path.join(SIGNING, 'keys/ca/root.pem'))], subject: FIXTURE_SIGNER },
  };
  const v = createSignatureVerifier({ authorities: [other, pki, p256] });
  t.match(v.verify(GOOD, DIGEST), { ok: true, authority: 'p256' });
  t.match(v.verify(fixtureBundle('tiny-classifier.other-p256.sigstore.json'), DIGEST), {
    ok: true,
    authority: 'other',
  });
  t.match(v.verify(fixtureBundle('tiny-classifier.certificate.sigstore.json'), DIGEST), {
    ok: true,
    authority: 'pki',
  });
  const s = payloadOf(GOOD);
  const bySomeoneElse = resigned(GOOD, s, fixtureKey('p384.pem'));
  t.match(
    v.verify(bySomeoneElse, DIGEST),
    { ok: false, code: 'SIG_INVALID' },
    'the hint names p256, the signature is not p256’s',
  );
});
