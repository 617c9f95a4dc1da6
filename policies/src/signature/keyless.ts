import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, type SignedEntity, type Verifier } from '@sigstore/verify';
import { RANK, type Attempt } from './attempt.js';
import { clip, type ParsedBundle } from './bundle.js';
import { signatureMatches } from './content.js';
import { fail } from './errors.js';
import { hashForKey } from './keys.js';
import type { IdentityPattern } from './identity.js';

export interface KeylessAuthority {
  name: string;
  issuer: string;
  /** Exact SAN, or a full-match pattern (already wrapped so alternation cannot escape the anchors). */
  subject: string | IdentityPattern;
}

/** The keyless authorities sharing one trusted root: the cryptography runs once per root. */
export interface KeylessGroup {
  verifier: Verifier;
  authorities: readonly KeylessAuthority[];
}

/**
 * Sigstore keyless: sigstore-js checks the Fulcio chain, SCTs, transparency-log inclusion and
 * timestamps against trust material given as data (no TUF). Aviary then matches the signer's
 * identity itself, so the SAN rule (exact or anchored) and the exact issuer are ours, not a
 * library default.
 */
export function verifyKeyless(bundle: ParsedBundle, groups: readonly KeylessGroup[]): Attempt[] {
  const entity = signedEntity(bundle);
  const attempts: Attempt[] = [];
  for (const group of groups) {
    let san: string | undefined;
    let issuer: string | undefined;
    try {
      const signer = group.verifier.verify(entity);
      san = signer.identity?.subjectAlternativeName;
      issuer = signer.identity?.extensions?.issuer;
    } catch (e) {
      attempts.push({ ok: false, code: 'SIG_INVALID', rank: RANK.invalid, message: describe(e) });
      continue;
    }
    const match = group.authorities.find(
      (a) =>
        san !== undefined &&
        a.issuer === issuer &&
        (typeof a.subject === 'string' ? a.subject === san : a.subject.test(san)),
    );
    if (match !== undefined)
      return [
        {
          ok: true,
          authority: match.name,
          signer: san!,
          ...(issuer === undefined ? {} : { issuer }),
        },
      ];
    attempts.push({
      ok: false,
      code: 'SIG_UNTRUSTED',
      rank: RANK.identityMismatch,
      message: `signed by "${clip(san ?? '(no SAN)')}" with issuer "${clip(issuer ?? '(none)')}", which no keyless authority accepts`,
    });
  }
  return attempts;
}

function signedEntity(bundle: ParsedBundle): SignedEntity {
  let entity: SignedEntity;
  try {
    entity = toSignedEntity(bundleFromJSON(bundle.json));
  } catch (e) {
    fail('SIG_BUNDLE_MALFORMED', `not a valid Sigstore bundle: ${describe(e)}`);
  }
  const { content } = bundle;
  const original = entity.signature;
  // sigstore-js verifies a message signature by hashing the artifact, which admission never has,
  // and a DSSE signature always with SHA-256; both checks are replaced by ours (digest-based
  // ECDSA, and the key's own hash), keeping its digest/signature comparisons for the log body.
  return {
    ...entity,
    signature: {
      signature: original.signature,
      compareSignature: (s) => original.compareSignature(s),
      compareDigest: (d) => original.compareDigest(d),
      verifySignature: (key) => signatureMatches(content, key, hashForKey(key), false),
    },
  };
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return clip(typeof code === 'string' ? `${code}: ${e.message}` : e.message, 300);
  }
  return 'verification failed';
}
