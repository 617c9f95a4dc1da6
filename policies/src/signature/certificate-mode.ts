import { RANK, best, type Attempt } from './attempt.js';
import type { ParsedBundle } from './bundle.js';
import {
  candidatePaths,
  describeCert,
  isSelfIssued,
  parsePathCert,
  unprocessedCritical,
  type PathCert,
} from './cert-path.js';
import { certificateIdentities, identityMatches } from './cert-identity.js';
import { clip } from './bundle.js';
import { signatureMatches } from './content.js';
import { fail } from './errors.js';
import type { IdentityPattern } from './identity.js';
import { hashForKey } from './keys.js';

export interface CertificateAuthority {
  name: string;
  /** Every certificate of every configured PEM entry, each a trust anchor. */
  roots: readonly PathCert[];
  /** The leaf's identity: an exact SAN (or CN), or a full-match pattern. */
  subject: string | IdentityPattern;
}

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/**
 * Certificate mode (model_signing `sign certificate`): an x509 chain inside the bundle, checked
 * here because @sigstore/bundle refuses certificate chains in v0.3 bundles. Every candidate path
 * to a configured root is tried until one passes. Unlike model_signing, which checks the chain at
 * the leaf's notBefore (so never expires), Aviary checks validity at admission time: without a
 * timestamp nothing proves the key signed while its certificate was valid.
 */
export function verifyWithCertificates(
  bundle: ParsedBundle,
  authorities: readonly CertificateAuthority[],
  now: Date,
  allowLegacyPae: boolean,
): Attempt {
  if (bundle.material.kind !== 'certificate')
    throw new Error('certificate mode needs certificate material');
  // The bundle parser guarantees at least one certificate.
  const [leaf, ...pool] = bundle.material.chain.map(parseCert) as [PathCert, ...PathCert[]];
  const key = leaf.node.publicKey;
  const attempts: Attempt[] = [];
  let signatureOk: boolean | undefined; // the same leaf key for every path: check once
  for (const authority of authorities) {
    const failures: Attempt[] = [];
    for (const path of candidatePaths(leaf, pool, authority.roots)) {
      signatureOk ??= signatureMatches(bundle.content, key, hashForKey(key), allowLegacyPae);
      if (!signatureOk) {
        failures.push(invalid('the signature does not verify under the leaf certificate'));
        break;
      }
      const failure = pathFailure(path, now) ?? identityFailure(leaf, authority);
      if (failure === undefined) {
        const validUntil = new Date(Math.min(...path.map((c) => c.info.notAfter.getTime())));
        return { ok: true, authority: authority.name, signer: describeCert(leaf), validUntil };
      }
      failures.push(failure);
    }
    const telling = best(failures);
    if (telling !== undefined) attempts.push(telling);
  }
  return (
    best(attempts) ?? {
      ok: false,
      code: 'SIG_UNTRUSTED',
      rank: RANK.noMatch,
      message: `the certificate "${describeCert(leaf)}" does not chain to a configured root`,
    }
  );
}

// A CA, public or private, issues certificates to many signers: the chain says who vouched,
// the identity says for whom.
function identityFailure(leaf: PathCert, authority: CertificateAuthority): Attempt | undefined {
  const identities = certificateIdentities(leaf);
  if (identityMatches(identities, authority.subject)) return undefined;
  const shown = identities.length === 0 ? '(none)' : identities.join(', ');
  return {
    ok: false,
    code: 'SIG_UNTRUSTED',
    rank: RANK.identityMismatch,
    message: `certificate identity ${clip(shown)} is not the one authority "${authority.name}" accepts`,
  };
}

function parseCert(der: Buffer, i: number): PathCert {
  try {
    return parsePathCert(der);
  } catch {
    fail('SIG_BUNDLE_MALFORMED', `certificate ${i} of the chain is not valid DER`);
  }
}

const invalid = (message: string): Attempt => ({
  ok: false,
  code: 'SIG_INVALID',
  rank: RANK.invalid,
  message,
});

/**
 * RFC 5280 §6.1 checks of one path (leaf first, anchor last). Links were checked by OpenSSL's
 * X509_check_issued while the path was built: names, key identifiers, the issuer's keyCertSign
 * key usage, and the signature.
 */
function pathFailure(path: readonly PathCert[], now: Date): Attempt | undefined {
  let below = 0; // non-self-issued intermediates under path[i], as pathLenConstraint counts them
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (c.info.extBasicConstraints?.isCA !== true)
      return invalid(`issuer certificate "${describeCert(c)}" is not a CA`);
    const pathLen = c.info.extBasicConstraints.pathLenConstraint;
    if (pathLen !== undefined && BigInt(below) > pathLen)
      return invalid(`path length constraint of "${describeCert(c)}" exceeded`);
    if (!isSelfIssued(c)) below++;
  }
  const leaf = path[0]!;
  const eku = leaf.node.keyUsage ?? []; // Node names the extended key usage list `keyUsage`
  if (!(leaf.info.extKeyUsage?.digitalSignature === true || eku.includes(CODE_SIGNING)))
    return invalid('the leaf certificate allows neither digitalSignature nor codeSigning');
  // Configured roots were checked for this when the policy loaded.
  for (const c of path.slice(0, -1)) {
    const oid = unprocessedCritical(c);
    if (oid !== undefined) {
      return {
        ok: false,
        code: 'SIG_CERT_CRITICAL_EXTENSION',
        rank: RANK.invalid,
        message: `certificate "${describeCert(c)}" has a critical extension ${oid} that Aviary does not process`,
      };
    }
  }
  const expired = path.find((c) => now < c.info.notBefore || now > c.info.notAfter);
  if (expired !== undefined) {
    return {
      ok: false,
      code: 'SIG_CERT_EXPIRED',
      rank: RANK.expired,
      message: `certificate "${describeCert(expired)}" is valid from ${expired.info.notBefore.toISOString()} to ${expired.info.notAfter.toISOString()}`,
    };
  }
  return undefined;
}
