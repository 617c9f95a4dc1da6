export { createSignatureVerifier } from './verifier.js';
export { loadPublicGoodTrustedRoot } from './trusted-root.js';
export { SignatureConfigError } from './errors.js';
export type { SignatureConfigErrorCode } from './errors.js';
export { MAX_BUNDLE_BYTES } from './size.js';
export type {
  Authority,
  HashAlgorithm,
  SignatureCode,
  SignatureFormat,
  SignatureResult,
  SignatureVerifier,
  SignatureVerifierOptions,
} from './types.js';
export { buildPolicyVerifiers } from './for-policy.js';
export { BUILT_IN, loadTrustedRoots, parseTrustedRootFlags } from './trust-files.js';
export type { TrustedRootOrigins } from './trust-files.js';
export { modelSigningRoot, comparePaths } from './model-root.js';
export type { ModelFileDigest } from './model-root.js';
