import { createHash } from 'node:crypto';
import { best, type Attempt } from './attempt.js';
import { parseBundle, type ParsedBundle } from './bundle.js';
import { Lru } from './cache.js';
import { verifyWithCertificates } from './certificate-mode.js';
import { compileConfig, type CompiledConfig } from './config.js';
import { parseDigest } from './digest.js';
import { SignatureFailure, fail } from './errors.js';
import { verifyWithKeys } from './key-mode.js';
import { verifyKeyless } from './keyless.js';
import { normalizeBundle } from './size.js';
import { MODEL_SIGNING_COMPAT, peekPredicateType, signedSubject } from './statement.js';
import type {
  SignatureCode,
  SignatureFormat,
  SignatureResult,
  SignatureVerifier,
  SignatureVerifierOptions,
} from './types.js';

interface CacheEntry {
  result: SignatureResult;
  validUntil?: Date;
}

// Failures that depend on nothing but the bundle, the digest and the configuration. Expiry is
// left out (a not-yet-valid certificate becomes valid), and so is anything unexpected.
const CACHEABLE_FAILURES: ReadonlySet<SignatureCode> = new Set([
  'SIG_BUNDLE_MALFORMED',
  'SIG_BUNDLE_UNSUPPORTED',
  'SIG_MULTIPLE_SIGNATURES',
  'SIG_INVALID',
  'SIG_CERT_CRITICAL_EXTENSION',
  'SIG_UNTRUSTED',
  'SIG_STATEMENT_INVALID',
  'SIG_PREDICATE_NOT_ALLOWED',
  'SIG_DIGEST_MISMATCH',
]);

/**
 * Builds a verifier once per trust configuration (keys parsed, regexes compiled, trusted roots
 * turned into trust material) and throws a {@link SignatureConfigError} if any of it is unusable.
 * `verify` is then pure apart from its result cache, works offline, and never throws.
 */
export function createSignatureVerifier(opts: SignatureVerifierOptions): SignatureVerifier {
  const config = compileConfig(opts);
  const cache = new Lru<string, CacheEntry>(config.cacheSize);
  const clock = opts.now ?? (() => new Date());
  return {
    fingerprint: config.fingerprint,
    verify(bundle: unknown, digest: string): SignatureResult {
      let cacheKey: string | undefined;
      try {
        const expected = parseDigest(digest);
        const { text, value } = normalizeBundle(bundle);
        cacheKey = `${createHash('sha256').update(text).digest('hex')}/${expected}/${config.fingerprint}`;
        const now = clock();
        // An Invalid Date compares false both ways and would pass every validity check.
        if (!(now instanceof Date) || Number.isNaN(now.getTime()))
          throw new Error('the clock returned no valid date');
        const hit = cache.get(cacheKey);
        if (hit !== undefined && (hit.validUntil === undefined || now <= hit.validUntil))
          return hit.result;
        const { result, validUntil } = evaluate(config, value, expected, now);
        cache.set(cacheKey, validUntil === undefined ? { result } : { result, validUntil });
        return result;
      } catch (e) {
        if (!(e instanceof SignatureFailure)) {
          return {
            ok: false,
            code: 'SIG_INTERNAL_ERROR',
            message: `internal error: ${describeError(e)}`,
          };
        }
        const result: SignatureResult = { ok: false, code: e.code, message: e.message };
        if (cacheKey !== undefined && CACHEABLE_FAILURES.has(e.code))
          cache.set(cacheKey, { result });
        return result;
      }
    },
  };
}

function evaluate(
  config: CompiledConfig,
  value: unknown,
  expected: string,
  now: Date,
): { result: SignatureResult; validUntil?: Date } {
  const bundle = parseBundle(value);
  const { content } = bundle;
  if (content.kind === 'message') {
    if (content.digestAlgorithm !== 'SHA2_256') {
      fail(
        'SIG_BUNDLE_UNSUPPORTED',
        `message digest algorithm ${content.digestAlgorithm}; Aviary binds SHA2_256 digests only`,
      );
    }
    if (content.digest.length !== 32)
      fail('SIG_BUNDLE_MALFORMED', 'messageDigest.digest must be 32 bytes');
  }
  // Read before authentication only to pick the encoding: v0.2 signatures use a buggy PAE, which
  // is tried only when the policy accepts that format at all.
  const compat =
    content.kind === 'dsse' && peekPredicateType(content.payload) === MODEL_SIGNING_COMPAT;
  if (compat && !config.allowCompat) {
    fail(
      'SIG_STATEMENT_INVALID',
      `predicate ${MODEL_SIGNING_COMPAT} (model_signing v0.2) is not allowed by this policy`,
    );
  }
  const chosen = best(attempts(config, bundle, now, compat));
  if (chosen === undefined) {
    fail(
      'SIG_UNTRUSTED',
      `no configured authority can verify a bundle signed with ${describeMaterial(bundle)}`,
    );
  }
  if (!chosen.ok) fail(chosen.code, chosen.message);

  let signed: string;
  let format: SignatureFormat;
  if (content.kind === 'dsse') {
    ({ sha256: signed, format } = signedSubject(
      content.payloadType,
      content.payload,
      config.allowCompat,
      config.predicateTypes.get(chosen.authority) ?? new Set(),
    ));
  } else {
    signed = content.digest.toString('hex');
    format = 'message-signature';
  }
  if (signed !== expected) {
    fail(
      'SIG_DIGEST_MISMATCH',
      `the bundle signs sha256:${signed}, not the pinned sha256:${expected}`,
    );
  }
  const result: SignatureResult = {
    ok: true,
    authority: chosen.authority,
    signer: chosen.signer,
    format,
    ...(chosen.issuer === undefined ? {} : { issuer: chosen.issuer }),
  };
  return chosen.validUntil === undefined ? { result } : { result, validUntil: chosen.validUntil };
}

/** Runs every authority kind that can apply to the bundle's verification material. */
function attempts(
  config: CompiledConfig,
  bundle: ParsedBundle,
  now: Date,
  allowLegacyPae: boolean,
): Attempt[] {
  const { material } = bundle;
  if (material.kind === 'publicKey') {
    return config.keys.length === 0 ? [] : [verifyWithKeys(bundle, config.keys, allowLegacyPae)];
  }
  const out: Attempt[] = [];
  if (config.certificates.length > 0) {
    out.push(verifyWithCertificates(bundle, config.certificates, now, allowLegacyPae));
  }
  // A v0.3 bundle with a chain is model-signing certificate mode, never Fulcio; sigstore-js
  // rejects it as malformed, which would hide the real answer (no PKI authority configured).
  const fulcioShaped = !(bundle.version === '0.3' && material.field === 'x509CertificateChain');
  if (config.keyless.length > 0 && fulcioShaped) out.push(...verifyKeyless(bundle, config.keyless));
  return out;
}

function describeMaterial(bundle: ParsedBundle): string {
  if (bundle.material.kind === 'publicKey') return 'a public key';
  return bundle.material.field === 'certificate'
    ? 'a Sigstore (Fulcio) certificate'
    : 'an x509 certificate chain';
}

/** Even the error report must not throw (an exotic thrown value could have a throwing toString). */
function describeError(e: unknown): string {
  try {
    return e instanceof Error ? e.message : String(e);
  } catch {
    return 'unprintable error';
  }
}
