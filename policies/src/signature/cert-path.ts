import { X509Certificate as NodeCertificate } from 'node:crypto';
import { X509Certificate as SigstoreCertificate } from '@sigstore/core';

/**
 * One certificate read by two maintained parsers: OpenSSL (node:crypto) decides issuance (names,
 * key identifiers, keyCertSign, the signature), @sigstore/core reads what node:crypto does not
 * expose (basic constraints, key usage, the extension list). Both run synchronously, which
 * verification must: the policy engine is synchronous.
 *
 * Path building and the RFC 5280 checks stay hand-written because no maintained library does them
 * (issue 13, run on the cases of certificate-paths.test.ts, with certificates written by openssl):
 * - @peculiar/x509 2.2.0 `X509ChainBuilder` is async only (WebCrypto), builds one path greedily
 *   (the first issuer whose signature verifies, never backtracking: "cross-signed, good one
 *   second" and "trusting the other root" find no path), has no notion of trust anchors, and
 *   checks nothing of RFC 5280 §6.1: it returns a path through an issuer that is no CA, one
 *   without keyCertSign, an exceeded pathLen, an expired or not yet valid certificate, to a leaf
 *   without digitalSignature/codeSigning or with an unknown critical extension. Its issuer test
 *   (name, key identifier, signature) is what `issuedBy` gets synchronously from OpenSSL.
 * - pkijs 4.0.0 `CertificateChainValidationEngine` is async only and validates one path (the
 *   shortest found): it refuses all three cross-signed cases (one candidate issuer leading to a
 *   root that is not configured drops the others) and "renewed, expired one first", and it accepts
 *   an exceeded pathLen, an unknown critical extension on the leaf or an intermediate and a leaf
 *   without digitalSignature or codeSigning. It does refuse an issuer that is no CA or lacks
 *   keyCertSign, and checks validity at a given date, as we do.
 * Name constraints are refused whatever a library does with them: Aviary does not process them.
 */
export interface PathCert {
  node: NodeCertificate;
  info: SigstoreCertificate;
}

/** Throws on anything that is not one DER certificate both parsers accept. */
export function parsePathCert(der: Buffer): PathCert {
  return { node: new NodeCertificate(der), info: SigstoreCertificate.parse(Buffer.from(der)) };
}

// RFC 5280 §4.2: a certificate holding a critical extension that the relying party does not
// process must be rejected. These are the ones certificate mode acts on. The subject alternative
// name is only displayed, but §4.2.1.6 requires it critical when the subject is empty, as in every
// Fulcio certificate. Anything else critical (name constraints, policy constraints, …) is refused
// rather than silently ignored.
const PROCESSED = new Set([
  '2.5.29.15', // key usage
  '2.5.29.17', // subject alternative name
  '2.5.29.19', // basic constraints
  '2.5.29.37', // extended key usage
]);

/** The OID of the first critical extension certificate mode does not process, if any. */
export function unprocessedCritical(c: PathCert): string | undefined {
  for (const ext of c.info.extensions) {
    const oid = ext.subs[0]?.toOID();
    if (oid !== undefined && !PROCESSED.has(oid) && c.info.extension(oid)?.critical === true)
      return oid;
  }
  return undefined;
}

export function isSelfIssued(c: PathCert): boolean {
  return c.info.subject.equals(c.info.issuer);
}

/** Subject DN, or the SAN when the subject is empty (on Node 20, `subject` is then undefined). */
export function describeCert(c: PathCert): string {
  const subject = (c.node.subject as string | undefined)?.split('\n').join(', ');
  return subject || c.node.subjectAltName || '(empty subject)';
}

// Each signature check is remembered per (certificate, issuer) pair: a hostile bundle can offer
// many candidates, and configured roots are checked against the same certificates again and
// again. Weak keys, so a bundle's certificates are forgotten with the bundle.
const issuance = new WeakMap<PathCert, WeakMap<PathCert, boolean>>();

function issuedBy(cert: PathCert, issuer: PathCert): boolean {
  let known = issuance.get(cert);
  if (known === undefined) issuance.set(cert, (known = new WeakMap()));
  let ok = known.get(issuer);
  if (ok === undefined) {
    try {
      ok = cert.node.checkIssued(issuer.node) && cert.node.verify(issuer.node.publicKey);
    } catch {
      ok = false;
    }
    known.set(issuer, ok);
  }
  return ok;
}

// Paths never repeat a certificate and a bundle holds at most 10, so depth is bounded; this caps
// the breadth a hostile bundle of look-alike intermediates could add.
const MAX_STEPS = 64;

/**
 * Every path from `leaf` to one of `anchors` through certificates of `pool`, each link checked by
 * OpenSSL, in depth-first order with anchors tried first at each step. A bundle may carry several
 * candidate issuers (a cross-signed or renewed intermediate): a dead end or a rejected path must
 * not hide another one, so the caller checks paths one by one until one passes (RFC 4158).
 */
export function* candidatePaths(
  leaf: PathCert,
  pool: readonly PathCert[],
  anchors: readonly PathCert[],
): Generator<PathCert[]> {
  let steps = 0;
  function* extend(path: PathCert[]): Generator<PathCert[]> {
    if (++steps > MAX_STEPS) return;
    const last = path[path.length - 1]!;
    for (const anchor of anchors) if (issuedBy(last, anchor)) yield [...path, anchor];
    for (const next of pool)
      if (!path.includes(next) && issuedBy(last, next)) yield* extend([...path, next]);
  }
  yield* extend([leaf]);
}
