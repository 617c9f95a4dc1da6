/**
 * The public shape of signature verification. Authorities mirror `spec.signatures.authorities` of
 * a ModelReleasePolicy; results carry a stable code per failure class so callers branch on it.
 */
import type { CodeIn } from '../codes.js';

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

/**
 * Besides model-signing v1.0 (and the compat predicate with `allowCompatPredicate`) and message
 * signatures, which every authority vouches for, the in-toto predicate types this authority's
 * statements may carry, compared exactly (e.g. a cosign attestation's `--type`).
 */
interface AuthorityBase {
  name: string;
  predicateTypes?: string[];
}

export type Authority =
  | (AuthorityBase & {
      /** A public key (PEM SPKI). The hash defaults to the curve's: P-256 sha256, P-384 sha384, P-521 sha512. */
      key: { publicKey: string; hashAlgorithm?: HashAlgorithm };
    })
  | (AuthorityBase & {
      /**
       * Sigstore keyless (Fulcio certificate + transparency log). Exactly one of `subject` (exact
       * SAN) or `subjectRegExp` (anchored: must start with ^ and end with $). `issuer` is exact.
       */
      keyless: { issuer: string; subject?: string; subjectRegExp?: string; trustedRoot?: string };
    })
  | (AuthorityBase & {
      /**
       * A private PKI (model-signing "certificate" mode): PEM CA certificates the chain must reach,
       * and exactly one of `subject` (an exact SAN, or CN when the leaf has no SAN) or
       * `subjectRegExp` (anchored) naming the signer.
       */
      certificate: { roots: string[]; subject?: string; subjectRegExp?: string };
    });

export interface SignatureVerifierOptions {
  authorities: Authority[];
  /** trusted_root.json objects by name; keyless authorities pick one (default `public-good`). */
  trustedRoots?: Record<string, unknown>;
  /** Also accept the model-signing v0.2 predicate `https://model_signing/Digests/v0.1`. */
  allowCompatPredicate?: boolean;
  /** Results kept in the LRU cache. Default 1000; 0 disables caching. */
  cacheSize?: number;
  /** Clock for certificate-mode validity checks. Default: the system clock. */
  now?: () => Date;
}

export type SignatureFormat = 'model-signing' | 'dsse' | 'message-signature';

/** What the verifier itself reports; the signatures rule adds the codes for what it cannot verify. */
export type SignatureCode = Exclude<
  CodeIn<'signatures'>,
  'SIG_MISSING' | 'SIG_EVIDENCE_MISSING' | 'SIG_NO_VERIFIER'
>;

export type SignatureResult =
  | {
      ok: true;
      authority: string;
      /** Key hint (or key fingerprint), certificate SAN (keyless) or certificate subject (PKI). */
      signer: string;
      format: SignatureFormat;
      /** OIDC issuer of a keyless signer. */
      issuer?: string;
    }
  | { ok: false; code: SignatureCode; message: string };

export interface SignatureVerifier {
  /** Never throws: every problem, including a bug, comes back as `ok: false`. */
  verify(bundle: unknown, digest: string): SignatureResult;
  /** sha256 over the authority set and options; changes whenever the trust configuration does. */
  readonly fingerprint: string;
}
