import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import t from 'tap';
import { parsePolicies } from '@aviary/policies/engine';
import {
  buildPolicyVerifiers,
  createSignatureVerifier,
  loadPublicGoodTrustedRoot,
  type Authority,
} from '@aviary/policies/signature';
import { policy } from '../../helpers/isvc.js';
import { CA_EXT, LEAF_EXT, OpenSslPki, bundleWithChain, type Issued } from './openssl-pki.js';
import { SIGNING, expected, fixtureBundle, text } from './support.js';

/**
 * Certificate mode names its signer: the leaf's SANs (email, DNS, URI), or its CN when it has
 * none, must be the authority's `subject` or match its `subjectRegExp`. And a public Sigstore CA
 * is never a certificate root. Chains from the real `openssl` CLI; Fulcio's certificates from
 * the shipped public-good trusted root.
 */
const DIGEST = expected().models['tiny-classifier']!;
const TEMPLATE = fixtureBundle('tiny-classifier.certificate.sigstore.json');
const NOW = new Date(Date.now() + 3_600_000);

const pki = new OpenSslPki();
t.teardown(() => pki.remove());
const root = pki.cert('root', { subject: '/O=Aviary Test/CN=Root', ext: CA_EXT });
const withSans = pki.cert('leaf-sans', {
  subject: '/O=Aviary Test/CN=Display Name',
  issuer: root,
  ext: [
    ...LEAF_EXT,
    'subjectAltName=email:dev@example.com,URI:https://ci.example.com/release,DNS:build.example.com',
  ],
});

function verdict(
  chain: readonly Issued[],
  identity: { subject?: string; subjectRegExp?: string },
): string {
  const v = createSignatureVerifier({
    authorities: [{ name: 'pki', certificate: { roots: [root.pem], ...identity } }],
    now: () => NOW,
  });
  const r = v.verify(bundleWithChain(TEMPLATE, chain), DIGEST);
  return r.ok ? 'OK' : r.code;
}

t.test('each SAN kind names the signer; the CN does not when there are SANs', async (t) => {
  t.equal(verdict([withSans], { subject: 'dev@example.com' }), 'OK', 'email');
  t.equal(verdict([withSans], { subject: 'https://ci.example.com/release' }), 'OK', 'URI');
  t.equal(verdict([withSans], { subject: 'build.example.com' }), 'OK', 'DNS');
  t.equal(verdict([withSans], { subjectRegExp: '^[a-z]+@example\\.com$' }), 'OK', 'a pattern');
  t.equal(verdict([withSans], { subject: 'Display Name' }), 'SIG_UNTRUSTED', 'the CN');
  t.equal(verdict([withSans], { subject: 'dev@example.co' }), 'SIG_UNTRUSTED', 'a near miss');
  t.equal(
    verdict([withSans], { subjectRegExp: '^dev@example\\.com|other$' }),
    'OK',
    'alternation inside the anchors still matches the genuine identity',
  );
  t.equal(
    verdict([withSans], { subjectRegExp: '^example\\.com$' }),
    'SIG_UNTRUSTED',
    'a pattern matches a whole identity, never a part of one',
  );
});

t.test('a leaf without SANs is named by its CN', async (t) => {
  const cnOnly = pki.cert('leaf-cn', {
    subject: '/O=Aviary Test/CN=release-signer',
    issuer: root,
    ext: LEAF_EXT,
  });
  t.equal(verdict([cnOnly], { subject: 'release-signer' }), 'OK');
  t.equal(verdict([cnOnly], { subject: 'Aviary Test' }), 'SIG_UNTRUSTED', 'another RDN');
  t.equal(verdict([cnOnly], { subject: 'O=Aviary Test, CN=release-signer' }), 'SIG_UNTRUSTED');
});

t.test('a mismatch is SIG_UNTRUSTED, naming the identity and the authority', async (t) => {
  const v = createSignatureVerifier({
    authorities: [
      { name: 'other', certificate: { roots: [root.pem], subject: 'someone@example.com' } },
    ],
    now: () => NOW,
  });
  t.match(v.verify(bundleWithChain(TEMPLATE, [withSans]), DIGEST), {
    ok: false,
    code: 'SIG_UNTRUSTED',
    message: /dev@example\.com.*"other"/,
  });
});

// Fulcio's current chain in the shipped root: intermediate, then root.
interface Root {
  certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
}
const publicGood = loadPublicGoodTrustedRoot() as Root;
const fulcio = publicGood.certificateAuthorities
  .at(-1)!
  .certChain.certificates.map((c) =>
    new X509Certificate(Buffer.from(c.rawBytes, 'base64')).toString(),
  );

function refusal(authority: Authority, trustedRoots?: Record<string, unknown>): string {
  try {
    createSignatureVerifier({
      authorities: [authority],
      ...(trustedRoots ? { trustedRoots } : {}),
    });
  } catch (e) {
    return (e as { code?: string }).code ?? 'no code';
  }
  return 'accepted';
}

t.test('public Sigstore CAs are refused as certificate roots', async (t) => {
  const cert = (roots: string[]): Authority => ({
    name: 'pki',
    certificate: { roots, subject: 'dev@example.com' },
  });
  t.equal(refusal(cert([fulcio.at(-1)!])), 'SIG_CERT_ROOT_PUBLIC', "Fulcio's root");
  t.equal(refusal(cert([fulcio[0]!])), 'SIG_CERT_ROOT_PUBLIC', "Fulcio's intermediate");
  t.equal(refusal(cert([root.pem + fulcio.at(-1)!])), 'SIG_CERT_ROOT_PUBLIC', 'inside a CA bundle');
  t.equal(refusal(cert([root.pem])), 'accepted', 'a private root');
  // Another trusted root the webhook or CLI loads (a private Sigstore deployment) counts too,
  // compared by key: a re-issued certificate of the same key is the same CA.
  const reissued = pki.cert('root-reissued', {
    subject: '/O=Aviary Test/CN=Root again',
    keyOf: root,
    ext: CA_EXT,
  });
  const privateSigstore = structuredClone(publicGood);
  privateSigstore.certificateAuthorities = [
    {
      ...publicGood.certificateAuthorities.at(-1)!,
      certChain: { certificates: [{ rawBytes: root.cert.raw.toString('base64') }] },
    },
  ];
  t.equal(
    refusal(cert([reissued.pem]), { internal: privateSigstore }),
    'SIG_CERT_ROOT_PUBLIC',
    'a CA of a supplied trusted root, by key',
  );
  t.equal(refusal(cert([reissued.pem]), {}), 'accepted', 'the same root, no such trusted root');
});

t.test('through a policy: POLICY_SIG_CERT_ROOT_PUBLIC with its position', async (t) => {
  const indent = (pem: string) => pem.trimEnd().replaceAll('\n', '\n            ');
  const yaml = (pem: string) =>
    policy(
      'p',
      `signatures:\n  required: true\n  authorities:\n    - name: pki\n      certificate:\n        subject: dev@example.com\n        roots:\n          - |\n            ${indent(pem)}\n`,
    );
  const built = (pem: string) => {
    const loaded = parsePolicies(yaml(pem), 'p.yaml');
    t.same(loaded.diagnostics, [], 'the policy itself is well formed');
    return buildPolicyVerifiers(loaded.policies);
  };
  t.match(built(fulcio.at(-1)!).diagnostics, [
    {
      code: 'POLICY_SIG_CERT_ROOT_PUBLIC',
      file: 'p.yaml',
      path: 'spec.signatures.authorities',
    },
  ]);
  const ok = built(text(path.join(SIGNING, 'keys/ca/root.pem')));
  t.same(ok.diagnostics, []);
  t.ok(ok.verifiers.get('p'));
});
