import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { Content } from './bundle.js';
import { legacyPae, pae } from './dsse.js';
import { verifyEcdsaDigest } from './ecdsa.js';
import { fail } from './errors.js';
import type { HashAlgorithm } from './types.js';

/**
 * Checks the bundle's one signature against one public key. `hash` is passed explicitly because
 * Node (and so sigstore-js) otherwise picks SHA-256 for every ECDSA curve, which is wrong for the
 * P-384 and P-521 keys model_signing signs with.
 */
export function signatureMatches(
  content: Content,
  key: KeyObject,
  hash: HashAlgorithm | null,
  allowLegacyPae: boolean,
): boolean {
  if (content.kind === 'message') {
    if (key.asymmetricKeyType !== 'ec') {
      fail('SIG_BUNDLE_UNSUPPORTED', 'message signatures can only be checked for ECDSA keys');
    }
    return verifyEcdsaDigest(key, content.digest, content.signature);
  }
  if (verifyBytes(hash, pae(content.payloadType, content.payload), key, content.signature))
    return true;
  if (!allowLegacyPae) return false;
  // model_signing v0.2 hashed the buggy encoding with SHA-256 in certificate mode and with the
  // curve's hash in key mode; upstream accepts both, and so does Aviary (compat only).
  const legacy = legacyPae(content.payloadType, content.payload);
  return [...new Set([hash, 'sha256' as const])].some((h) =>
    verifyBytes(h, legacy, key, content.signature),
  );
}

function verifyBytes(
  hash: HashAlgorithm | null,
  data: Buffer,
  key: KeyObject,
  sig: Buffer,
): boolean {
  try {
    return cryptoVerify(hash, data, key, sig);
  } catch {
    return false; // malformed signature bytes
  }
}
