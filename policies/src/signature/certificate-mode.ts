import { X509Certificate as NodeCertificate } from 'node:crypto';
import { X509Certificate as SigstoreCertificate } from '@sigstore/core';
import { RANK, best, type Attempt } from './attempt.js';
import type { ParsedBundle } from './bundle.js';
import { signatureMatches } from './content.js';
import { fail } from './errors.js';
import { hashForKey } from './keys.js';

export interface CertificateAuthority {
  name: string;
  roots: readonly NodeCertificate[];
}

interface Cert {
  node: NodeCertificate;
  /** The same DER through @sigstore/core, which exposes key usage, path length and dates. */
  info: SigstoreCertificate;
}

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const MAX_PATH = 8;

/**
 * Certificate mode (model_signing `sign certificate`): an x509 chain inside the bundle, checked
 * here because @sigstore/bundle refuses certificate chains in v0.3 bundles. Unlike model_signing,
 * which checks the chain at the leaf's notBefore (so never expires), Aviary checks validity at
 * admission time: without a timestamp nothing proves the key signed while its certificate was
 * valid.
 */
export function verifyWithCertificates(
  bundle: ParsedBundle,
  authorities: readonly CertificateAuthority[],
  now: Date,
  allowLegacyPae: boolean,
): Attempt {
  if (bundle.material.kind !== 'certificate')
    throw new Error('certificate mode needs certificate material');
  const chain = bundle.material.chain.map(parseCert);
  const leaf = chain[0]!;
  const attempts: Attempt[] = [];
  let signatureOk: boolean | undefined; // the same leaf key for every authority: check once
  for (const authority of authorities) {
    const path = buildPath(leaf, chain.slice(1), authority.roots);
    if (path === undefined) continue;
    const problem = pathProblem(path);
    if (problem !== undefined) {
      attempts.push({ ok: false, code: 'SIG_INVALID', rank: RANK.invalid, message: problem });
      continue;
    }
    const key = leaf.node.publicKey;
    signatureOk ??= signatureMatches(bundle.content, key, hashForKey(key), allowLegacyPae);
    if (!signatureOk) {
      attempts.push({
        ok: false,
        code: 'SIG_INVALID',
        rank: RANK.invalid,
        message: 'the signature does not verify under the leaf certificate',
      });
      continue;
    }
    const expired = path.find((c) => now < c.info.notBefore || now > c.info.notAfter);
    if (expired !== undefined) {
      attempts.push({
        ok: false,
        code: 'SIG_CERT_EXPIRED',
        rank: RANK.expired,
        message: `certificate "${subject(expired)}" is valid from ${expired.info.notBefore.toISOString()} to ${expired.info.notAfter.toISOString()}`,
      });
      continue;
    }
    const validUntil = new Date(Math.min(...path.map((c) => c.info.notAfter.getTime())));
    return { ok: true, authority: authority.name, signer: subject(leaf), validUntil };
  }
  return (
    best(attempts) ?? {
      ok: false,
      code: 'SIG_UNTRUSTED',
      rank: RANK.noMatch,
      message: `the certificate "${subject(leaf)}" does not chain to a configured root`,
    }
  );
}

function parseCert(der: Buffer, i: number): Cert {
  try {
    return { node: new NodeCertificate(der), info: SigstoreCertificate.parse(Buffer.from(der)) };
  } catch {
    fail('SIG_BUNDLE_MALFORMED', `certificate ${i} of the chain is not valid DER`);
  }
}

/** Leaf first, ending at a configured root; each certificate's signature checked by its issuer. */
function buildPath(
  leaf: Cert,
  pool: readonly Cert[],
  roots: readonly NodeCertificate[],
): Cert[] | undefined {
  const path = [leaf];
  let current = leaf;
  while (path.length <= MAX_PATH) {
    const anchor = roots.find((r) => issuedBy(current.node, r));
    if (anchor !== undefined)
      return [...path, { node: anchor, info: SigstoreCertificate.parse(Buffer.from(anchor.raw)) }];
    const next = pool.find((c) => !path.includes(c) && issuedBy(current.node, c.node));
    if (next === undefined) return undefined;
    path.push(next);
    current = next;
  }
  return undefined;
}

function issuedBy(cert: NodeCertificate, issuer: NodeCertificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function pathProblem(path: readonly Cert[]): string | undefined {
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (!c.node.ca) return `issuer certificate "${subject(c)}" is not a CA`;
    const pathLen = c.info.extBasicConstraints?.pathLenConstraint;
    if (pathLen !== undefined && BigInt(i - 1) > pathLen)
      return `path length constraint of "${subject(c)}" exceeded`;
  }
  const leaf = path[0]!;
  const eku = leaf.node.keyUsage ?? []; // Node names the extended key usage list `keyUsage`
  if (!(leaf.info.extKeyUsage?.digitalSignature === true || eku.includes(CODE_SIGNING))) {
    return 'the leaf certificate allows neither digitalSignature nor codeSigning';
  }
  return undefined;
}

function subject(c: Cert): string {
  return c.node.subject.split('\n').join(', ');
}
