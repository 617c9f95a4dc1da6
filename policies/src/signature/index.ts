export { createSignatureVerifier } from './verifier.js';
export { loadPublicGoodTrustedRoot } from './trusted-root.js';
export { SignatureConfigError } from './errors.js';
export type { SignatureConfigErrorCode } from './errors.js';
export { MAX_BUNDLE_BYTES } from './size.js';
export type * from './types.js';
export { buildPolicyVerifiers } from './for-policy.js';
export { BUILT_IN, loadTrustedRoots, parseTrustedRootFlags } from './trust-files.js';
export type { TrustedRootOrigins } from './trust-files.js';
