import t, { type Test } from 'tap';
import { SignatureConfigError, createSignatureVerifier } from '@aviary/policies/signature';
import {
  CA_EXT,
  LEAF_EXT,
  OpenSslPki,
  UNKNOWN_CRITICAL,
  bundleWithChain,
  type Issued,
} from './openssl-pki.js';
import { expected, fixtureBundle } from './support.js';

/**
 * Certificate-mode path validation on chains written by the real `openssl` CLI, each verdict
 * compared with `openssl verify` on the same certificates at the same time. The bundle is the
 * model_signing certificate fixture with its chain replaced and its statement signed again by the
 * new leaf's key, so the chain alone decides.
 */
const DIGEST = expected().models['tiny-classifier']!;
const TEMPLATE = fixtureBundle('tiny-classifier.certificate.sigstore.json');
const DAY = 86_400_000;
// An hour ahead, so certificates made while the tests run are already valid.
const NOW = new Date(Date.now() + 3_600_000);

const pki = new OpenSslPki();
t.teardown(() => pki.remove());
const INT = [...CA_EXT, 'authorityKeyIdentifier=keyid'];
const rootA = pki.cert('root-a', { subject: '/O=Aviary Test/CN=Root A', ext: CA_EXT });
const rootB = pki.cert('root-b', { subject: '/O=Aviary Test/CN=Root B', ext: CA_EXT });
const INT_SUBJECT = '/O=Aviary Test/CN=Int';
const intA = pki.cert('int-a', { subject: INT_SUBJECT, issuer: rootA, ext: INT });
// The same intermediate (subject and key) cross-signed by root B, and renewed by root A with a
// validity that ends in 30 days: with keyid-only authority key identifiers, both are candidates.
const intB = pki.cert('int-b', { subject: INT_SUBJECT, issuer: rootB, keyOf: intA, ext: INT });
const intOld = pki.cert('int-old', {
  subject: INT_SUBJECT,
  issuer: rootA,
  keyOf: intA,
  ext: INT,
  days: 30,
});
const leaf = pki.cert('leaf', { subject: '/O=Aviary Test/CN=Signer', issuer: intA, ext: LEAF_EXT });

// Every leaf below is a "Signer …"; identities have tests of their own.
const SIGNERS = '^Signer( [A-Za-z0-9 ]+)?$';

function code(chain: readonly Issued[], roots: readonly Issued[] | string[], now = NOW): string {
  const v = createSignatureVerifier({
    authorities: [
      {
        name: 'pki',
        certificate: {
          roots: roots.map((r) => (typeof r === 'string' ? r : r.pem)),
          subjectRegExp: SIGNERS,
        },
      },
    ],
    now: () => now,
    cacheSize: 0,
  });
  const r = v.verify(bundleWithChain(TEMPLATE, chain), DIGEST);
  return r.ok ? 'OK' : r.code;
}

interface Case {
  name: string;
  chain: Issued[];
  roots: Issued[];
  at?: Date;
  aviary: string;
  /** `openssl verify`'s verdict; where it differs from Aviary's, `why` says why. */
  openssl: boolean;
  why?: string;
}

function check(t: Test, cases: readonly Case[]): void {
  for (const c of cases) {
    const at = c.at ?? NOW;
    t.equal(code(c.chain, c.roots, at), c.aviary, c.name);
    t.equal(
      pki.opensslAccepts(c.chain[0]!, c.chain.slice(1), c.roots, at),
      c.openssl,
      `${c.name}: openssl ${c.openssl ? 'accepts' : 'refuses'}${c.why ? ` (${c.why})` : ''}`,
    );
  }
}

const NO_BACKTRACK =
  'OpenSSL takes the first matching untrusted issuer and never backtracks to another';

t.test('several candidate issuers: every path is tried, in any bundle order', async (t) => {
  check(t, [
    { name: 'cross-signed, good one first', chain: [leaf, intA, intB], roots: [rootA], aviary: 'OK', openssl: true },
    { name: 'cross-signed, good one second', chain: [leaf, intB, intA], roots: [rootA], aviary: 'OK', openssl: false, why: NO_BACKTRACK },
    { name: 'cross-signed, trusting the other root', chain: [leaf, intA, intB], roots: [rootB], aviary: 'OK', openssl: false, why: NO_BACKTRACK },
    { name: 'only the candidate from another PKI', chain: [leaf, intB], roots: [rootA], aviary: 'SIG_UNTRUSTED', openssl: false },
    { name: 'renewed, expired one first', chain: [leaf, intOld, intA], roots: [rootA], at: new Date(NOW.getTime() + 60 * DAY), aviary: 'OK', openssl: true },
    { name: 'renewed, expired one second', chain: [leaf, intA, intOld], roots: [rootA], at: new Date(NOW.getTime() + 60 * DAY), aviary: 'OK', openssl: true },
    { name: 'only the expired one', chain: [leaf, intOld], roots: [rootA], at: new Date(NOW.getTime() + 60 * DAY), aviary: 'SIG_CERT_EXPIRED', openssl: false },
  ]); // prettier-ignore
});

t.test('an unprocessed critical extension is refused at every level', async (t) => {
  const intC = pki.cert('int-c', {
    subject: '/O=Aviary Test/CN=Int C',
    issuer: rootA,
    ext: [...INT, UNKNOWN_CRITICAL],
  });
  const underIntC = pki.cert('leaf-c', { subject: '/CN=Signer C', issuer: intC, ext: LEAF_EXT });
  const leafC = pki.cert('leaf-crit', {
    subject: '/CN=Signer Crit',
    issuer: intA,
    ext: [...LEAF_EXT, UNKNOWN_CRITICAL],
  });
  const leafNonCritical = pki.cert('leaf-noncrit', {
    subject: '/CN=Signer NonCrit',
    issuer: intA,
    ext: [...LEAF_EXT, UNKNOWN_CRITICAL.replace('critical,', '')],
  });
  // A look-alike of int-a (same subject and key) carrying the extension: refused on its own path,
  // while the genuine int-a still gives a path.
  const intLookAlike = pki.cert('int-look-alike', {
    subject: INT_SUBJECT,
    issuer: rootA,
    keyOf: intA,
    ext: [...INT, UNKNOWN_CRITICAL],
  });
  const intNameConstraints = pki.cert('int-nc', {
    subject: '/O=Aviary Test/CN=Int NC',
    issuer: rootA,
    ext: [...INT, 'nameConstraints=critical,permitted;DNS:example.com'],
  });
  const underNc = pki.cert('leaf-nc', {
    subject: '/CN=Signer NC',
    issuer: intNameConstraints,
    ext: LEAF_EXT,
  });
  check(t, [
    { name: 'on the leaf', chain: [leafC, intA], roots: [rootA], aviary: 'SIG_CERT_CRITICAL_EXTENSION', openssl: false },
    { name: 'on the intermediate', chain: [underIntC, intC], roots: [rootA], aviary: 'SIG_CERT_CRITICAL_EXTENSION', openssl: false },
    { name: 'the same extension, not critical', chain: [leafNonCritical, intA], roots: [rootA], aviary: 'OK', openssl: true },
    { name: 'on one candidate only', chain: [leaf, intLookAlike, intA], roots: [rootA], aviary: 'OK', openssl: false, why: NO_BACKTRACK },
    { name: 'on the only candidate', chain: [leaf, intLookAlike], roots: [rootA], aviary: 'SIG_CERT_CRITICAL_EXTENSION', openssl: false },
    { name: 'name constraints (processed by OpenSSL, not by Aviary)', chain: [underNc, intNameConstraints], roots: [rootA], aviary: 'SIG_CERT_CRITICAL_EXTENSION', openssl: true, why: 'Aviary refuses what it does not process' },
  ]); // prettier-ignore

  const rootC = pki.cert('root-c', {
    subject: '/O=Aviary Test/CN=Root C',
    ext: [...CA_EXT, UNKNOWN_CRITICAL],
  });
  const intUnderC = pki.cert('int-under-c', {
    subject: '/CN=Int under C',
    issuer: rootC,
    ext: INT,
  });
  const leafUnderC = pki.cert('leaf-under-c', {
    subject: '/CN=Signer under C',
    issuer: intUnderC,
    ext: LEAF_EXT,
  });
  t.equal(pki.opensslAccepts(leafUnderC, [intUnderC], [rootC], NOW), false, 'openssl refuses');
  t.throws(
    () => code([leafUnderC, intUnderC], [rootC]),
    { name: 'SignatureConfigError', code: 'SIG_CONFIG_INVALID' },
    'on the root: the policy is refused when it loads',
  );
});

t.test('a roots entry holding several PEM certificates uses all of them', async (t) => {
  const both = rootB.pem + rootA.pem;
  t.equal(code([leaf, intA], [both]), 'OK', 'the chain reaches the second certificate');
  t.equal(code([leaf, intA], [`explanatory text\n${rootB.pem}\n\n${rootA.pem}trailer`]), 'OK');
  t.equal(pki.opensslAccepts(leaf, [intA], [rootB, rootA], NOW), true, 'openssl agrees');
  const refused = (roots: string[]) => {
    try {
      code([leaf, intA], roots);
    } catch (e) {
      return e instanceof SignatureConfigError ? e.code : 'not a SignatureConfigError';
    }
    return 'accepted';
  };
  t.equal(refused([rootB.pem + leaf.pem]), 'SIG_CONFIG_INVALID', 'a second certificate no CA');
  t.equal(
    refused([rootB.pem + rootA.pem.slice(0, -30)]),
    'SIG_CONFIG_INVALID',
    'a second certificate cut short',
  );
  t.equal(refused([rootB.pem.replace('MII', 'MIX')]), 'SIG_CONFIG_INVALID', 'a corrupt block');
  t.equal(refused(['no certificate here']), 'SIG_CONFIG_INVALID', 'no block at all');
});

t.test('a certificate with an empty subject (as Fulcio issues them)', async (t) => {
  const anonymous = pki.cert('leaf-empty', {
    subject: '/',
    issuer: intA,
    ext: [...LEAF_EXT, 'subjectAltName=critical,email:signer@example.com'],
  });
  const v = createSignatureVerifier({
    authorities: [
      { name: 'pki', certificate: { roots: [rootA.pem], subject: 'signer@example.com' } },
    ],
  });
  t.match(v.verify(bundleWithChain(TEMPLATE, [anonymous, intA]), DIGEST), {
    ok: true,
    signer: 'email:signer@example.com',
  });
  t.equal(pki.opensslAccepts(anonymous, [intA], [rootA], NOW), true, 'openssl agrees');
  t.equal(code([anonymous, intA], [rootB]), 'SIG_UNTRUSTED', 'another PKI: no internal error');
});

t.test('RFC 5280 constraints on the issuers', async (t) => {
  const notCa = pki.cert('int-not-ca', {
    subject: '/CN=Int not CA',
    issuer: rootA,
    ext: ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,keyCertSign'],
  });
  const noCertSign = pki.cert('int-no-certsign', {
    subject: '/CN=Int no keyCertSign',
    issuer: rootA,
    ext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,digitalSignature'],
  });
  const pathLen0 = pki.cert('int-pathlen0', {
    subject: '/CN=Int pathlen 0',
    issuer: rootA,
    ext: ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign'],
  });
  const sub = pki.cert('int-sub', { subject: '/CN=Int sub', issuer: pathLen0, ext: INT });
  const under = (issuer: Issued, name: string) =>
    pki.cert(`leaf-${name}`, { subject: `/CN=Signer ${name}`, issuer, ext: LEAF_EXT });
  check(t, [
    { name: 'an issuer that is no CA', chain: [under(notCa, 'nca'), notCa], roots: [rootA], aviary: 'SIG_INVALID', openssl: false },
    { name: 'an issuer without keyCertSign', chain: [under(noCertSign, 'ncs'), noCertSign], roots: [rootA], aviary: 'SIG_UNTRUSTED', openssl: false },
    { name: 'pathlen 0 with an intermediate below', chain: [under(sub, 'sub'), sub, pathLen0], roots: [rootA], aviary: 'SIG_INVALID', openssl: false },
    { name: 'pathlen 0 directly above the leaf', chain: [under(pathLen0, 'p0'), pathLen0], roots: [rootA], aviary: 'OK', openssl: true },
    { name: 'not yet valid', chain: [leaf, intA], roots: [rootA], at: new Date(NOW.getTime() - DAY), aviary: 'SIG_CERT_EXPIRED', openssl: false },
  ]); // prettier-ignore
});

t.test('a bundle of look-alike intermediates: the path search is bounded', async (t) => {
  // Nine certificates with one name and one key: each issues every other, so the orderings alone
  // are 9! candidate paths, none reaching the root.
  const first = pki.cert('loop-0', { subject: '/CN=Loop', ext: CA_EXT });
  const loops = [first];
  for (let i = 1; i < 9; i++)
    loops.push(pki.cert(`loop-${i}`, { subject: '/CN=Loop', keyOf: first, ext: CA_EXT }));
  const signer = pki.cert('leaf-loop', {
    subject: '/CN=Signer Loop',
    issuer: first,
    ext: LEAF_EXT,
  });
  const started = performance.now();
  t.equal(code([signer, ...loops], [rootA]), 'SIG_UNTRUSTED');
  const ms = performance.now() - started;
  t.ok(ms < 500, `answered in ${Math.round(ms)} ms`);
});
