import { X509Certificate as NodeCertificate } from 'node:crypto';
import { X509Certificate as SigstoreCertificate } from '@sigstore/core';

/**
 * One certificate read by two maintained parsers: OpenSSL (node:crypto) decides issuance (names,
 * key identifiers, keyCertSign, the signature), @sigstore/core reads what node:crypto does not
 * expose (basic constraints, key usage, the extension list). Both run synchronously, which
 * verification must: the policy engine is synchronous. pkijs, the maintained JavaScript library
 * with RFC 5280 path validation, verifies only asynchronously (WebCrypto) and, in 4.0.0, gives
 * up on every path when one candidate issuer is a dead end (an intermediate cross-signed by a
 * root that is not configured), validates only the shortest path, does not enforce path length
 * constraints, and accepts an unknown critical extension on the leaf.
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
