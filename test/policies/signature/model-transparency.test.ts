import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import {
  createSignatureVerifier,
  loadPublicGoodTrustedRoot,
  type Authority,
} from '@aviary/policies/signature';
import { VECTORS, folderRootDigest, json, payloadOf, tamperedStatement, text } from './support.js';

/**
 * Every sigstore/model-transparency signature vector (../shared/vectors/model-transparency),
 * verified against the digest recomputed from the model files next to it, so the test also
 * checks Aviary's reading of the root digest against the files upstream signed.
 */
const BASE = path.join(VECTORS, 'model-transparency');
interface Case {
  name: string;
  mode: 'certificate' | 'key' | 'sigstore';
  signature: string;
  modelPath: string;
  ignorePathsAtVerify: string[];
  publicKey?: string;
  trustAnchors?: string[];
  identity?: string;
  issuer?: string;
  predicateType: string;
}
const cases = json<{ cases: Case[] }>(path.join(BASE, 'cases.json')).cases;
const COMPAT = 'https://model_signing/Digests/v0.1';

/** Root digest of the model as upstream verifies it (a single-file model is one resource). */
function modelDigest(c: Case, ignore = c.ignorePathsAtVerify): string {
  const model = path.join(BASE, c.modelPath);
  if (statSync(model).isFile()) {
    const file = createHash('sha256').update(readFileSync(model)).digest();
    return `sha256:${createHash('sha256').update(file).digest('hex')}`;
  }
  return folderRootDigest(model, ignore);
}

// model_signing's test leaf has no SAN; its CN (oddly, the intermediate's name) is its identity.
const SIGNER = 'intermediate-ca';

function authorityOf(c: Case): Authority {
  if (c.mode === 'key')
    return { name: 'test-key', key: { publicKey: text(path.join(BASE, c.publicKey!)) } };
  if (c.mode === 'certificate') {
    return {
      name: 'test-pki',
      certificate: { roots: c.trustAnchors!.map((p) => text(path.join(BASE, p))), subject: SIGNER },
    };
  }
  return { name: 'ibm', keyless: { issuer: c.issuer!, subject: c.identity! } };
}
const verifier = (
  c: Case,
  authority = authorityOf(c),
  allowCompatPredicate = c.predicateType === COMPAT,
) =>
  createSignatureVerifier({
    authorities: [authority],
    trustedRoots: { 'public-good': loadPublicGoodTrustedRoot() },
    allowCompatPredicate,
  });
const bundleOf = (c: Case) => json(path.join(BASE, c.signature));

t.test('cases.json lists the 13 vectors', async (t) => t.equal(cases.length, 13));

for (const c of cases) {
  t.test(`${c.name} verifies (${c.mode})`, async (t) => {
    const r = verifier(c).verify(bundleOf(c), modelDigest(c));
    t.match(r, { ok: true, format: 'model-signing', authority: authorityOf(c).name });
    if (c.mode === 'sigstore') t.match(r, { signer: c.identity, issuer: c.issuer });
    if (c.mode === 'certificate') t.match(r, { signer: 'CN=intermediate-ca' });
  });
}

t.test('certificate mode names its signer (real model_signing signatures)', async (t) => {
  const c = cases.find((c) => c.name === 'v1.1.0-certificate')!;
  const roots = c.trustAnchors!.map((p) => text(path.join(BASE, p)));
  const under = (identity: { subject?: string; subjectRegExp?: string }) =>
    verifier(c, { name: 'pki', certificate: { roots, ...identity } }).verify(
      bundleOf(c),
      modelDigest(c),
    );
  t.match(under({ subject: SIGNER }), { ok: true }, 'the exact CN (no SAN)');
  t.match(under({ subjectRegExp: '^intermediate-[a-z]+$' }), { ok: true }, 'a pattern');
  t.match(under({ subject: 'someone-else' }), { ok: false, code: 'SIG_UNTRUSTED' }, 'another');
  t.match(
    under({ subjectRegExp: '^intermediate$' }),
    { ok: false, code: 'SIG_UNTRUSTED' },
    'a pattern matches the whole identity, not a part',
  );
  t.throws(() => under({}), { code: 'SIG_CONFIG_INVALID' }, 'no identity: refused at build');
  t.throws(
    () => under({ subject: SIGNER, subjectRegExp: '^x$' }),
    { code: 'SIG_CONFIG_INVALID' },
    'both: refused at build',
  );
});

t.test('v0.2 compat signature', async (t) => {
  const c = cases.find((c) => c.name === 'v0.2.0-certificate')!;
  t.match(
    verifier(c, authorityOf(c), false).verify(bundleOf(c), modelDigest(c)),
    { ok: false, code: 'SIG_STATEMENT_INVALID' },
    'refused unless the policy allows it',
  );
  const v031 = cases.find((c) => c.name === 'v0.3.1-certificate')!;
  t.equal(
    modelDigest(c),
    `sha256:${payloadOf(bundleOf(v031)).subject[0].digest.sha256}`,
    'its root equals the v1.0 root of the same files',
  );
});

t.test('keyless identity must match exactly, or an anchored regex', async (t) => {
  const c = cases.find((c) => c.name === 'v1.1.0-sigstore')!;
  const d = modelDigest(c);
  const keyless = (k: Record<string, string>) =>
    verifier(c, { name: 'ibm', keyless: { issuer: c.issuer!, ...k } }).verify(bundleOf(c), d);
  t.match(keyless({ subject: 'someone@us.ibm.com' }), { ok: false, code: 'SIG_UNTRUSTED' });
  t.match(
    keyless({ subject: c.identity!, issuer: 'https://token.actions.githubusercontent.com' }),
    { ok: false, code: 'SIG_UNTRUSTED' },
  );
  t.match(keyless({ subjectRegExp: '^[a-z]+@us\\.ibm\\.com$' }), { ok: true, signer: c.identity });
  t.match(keyless({ subjectRegExp: '^[a-z]+@example\\.com$' }), {
    ok: false,
    code: 'SIG_UNTRUSTED',
  });
});

t.test('derived negatives', async (t) => {
  const key = cases.find((c) => c.name === 'v1.1.0-elliptic-key')!;
  const d = modelDigest(key);
  const v = verifier(key);
  const flipped = tamperedStatement(bundleOf(key), (s) => {
    const r = s.predicate.resources[0];
    r.digest = (r.digest[0] === '0' ? '1' : '0') + r.digest.slice(1);
  });
  t.match(v.verify(flipped, d), { ok: false, code: 'SIG_INVALID' }, 'a resource digest flipped');
  const hint = structuredClone(bundleOf(key));
  hint.verificationMaterial.publicKey.hint = 'f'.repeat(64);
  t.match(v.verify(hint, d), { ok: false, code: 'SIG_UNTRUSTED' }, 'a hint naming another key');
  t.match(
    v.verify(bundleOf(key), modelDigest(key, ['model.sig'])),
    { ok: false, code: 'SIG_DIGEST_MISMATCH' },
    'the model including the unsigned ignore-me file',
  );
  const cert = cases.find((c) => c.name === 'v1.1.0-certificate')!;
  t.match(
    verifier(cert, {
      name: 'pki',
      certificate: {
        roots: [text(path.join(BASE, 'keys/certificate/int-ca-cert.pem'))],
        subject: SIGNER,
      },
    }).verify(bundleOf(cert), modelDigest(cert)),
    { ok: true },
    'the intermediate as the only anchor is accepted (it is a CA the policy trusts)',
  );
  t.match(
    verifier(key, {
      name: 'pki',
      certificate: {
        roots: [text(path.join(BASE, 'keys/certificate/ca-cert.pem'))],
        subject: SIGNER,
      },
    }).verify(bundleOf(key), d),
    { ok: false, code: 'SIG_UNTRUSTED' },
    'a key-mode bundle under a PKI-only policy',
  );
});

t.test('a keyless signature under a policy that also trusts a private PKI', async (t) => {
  // Certificate mode runs first and must answer "no chain" for the Fulcio certificate, whose
  // subject is empty (on Node 20 that once failed as an internal error), so keyless decides.
  const c = cases.find((c) => c.name === 'v1.1.0-sigstore')!;
  const pki: Authority = {
    name: 'pki',
    certificate: {
      roots: [text(path.join(BASE, 'keys/certificate/ca-cert.pem'))],
      subject: SIGNER,
    },
  };
  const v = createSignatureVerifier({
    authorities: [pki, authorityOf(c)],
    trustedRoots: { 'public-good': loadPublicGoodTrustedRoot() },
  });
  t.match(v.verify(bundleOf(c), modelDigest(c)), {
    ok: true,
    authority: 'ibm',
    signer: c.identity,
  });
});

// Why Aviary verifies key and certificate modes itself: sigstore-js 3.1.1 cannot.
t.test('pinned: sigstore-js 3.1.1 cannot verify the P-384 key vectors', async (t) => {
  const c = cases.find((c) => c.name === 'v1.1.0-elliptic-key')!;
  const root = TrustedRoot.fromJSON(loadPublicGoodTrustedRoot());
  const pem = text(path.join(BASE, c.publicKey!));
  const material = toTrustMaterial(root, () => ({
    publicKey: createPublicKey(pem),
    validFor: () => true,
  }));
  const verifier = new Verifier(material, {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 0,
  });
  t.throws(
    () => verifier.verify(toSignedEntity(bundleFromJSON(bundleOf(c)))),
    { code: 'SIGNATURE_ERROR' },
    'it hashes with SHA-256 for every curve',
  );
});
t.test('pinned: @sigstore/bundle rejects model-signing certificate bundles', async (t) => {
  const c = cases.find((c) => c.name === 'v1.1.0-certificate')!;
  let fields: unknown;
  try {
    bundleFromJSON(bundleOf(c));
  } catch (e) {
    fields = (e as { fields?: unknown }).fields;
  }
  t.same(fields, ['verificationMaterial.content.$case']);
});
