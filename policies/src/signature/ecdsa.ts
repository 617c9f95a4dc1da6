import type { KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';

/**
 * ECDSA verification over a digest the caller already has. A Sigstore message signature signs
 * the artifact's bytes, but admission only ever sees the artifact's digest, and node:crypto
 * always hashes its input itself: `crypto.verify(null, …)` on an EC key hashes with SHA-256
 * (checked on Node 20 for P-256, P-384 and P-521), and WebCrypto has no prehashed mode. So the
 * audited @noble/curves verifies, with its own prehashing off.
 */
const CURVES = { prime256v1: p256, secp384r1: p384, secp521r1: p521 } as const;

/** True when `signature` (DER) is a valid ECDSA signature by `key` over the given digest. */
export function verifyEcdsaDigest(key: KeyObject, digest: Buffer, signature: Buffer): boolean {
  const name = key.asymmetricKeyDetails?.namedCurve;
  const curve =
    name !== undefined && Object.hasOwn(CURVES, name)
      ? CURVES[name as keyof typeof CURVES]
      : undefined;
  if (curve === undefined) return false;
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') return false;
  const point = Buffer.concat([
    Buffer.from([0x04]),
    Buffer.from(jwk.x, 'base64url'),
    Buffer.from(jwk.y, 'base64url'),
  ]);
  try {
    // OpenSSL signs with either half of s, so high-s signatures are valid here.
    return curve.verify(signature, digest, point, { prehash: false, lowS: false, format: 'der' });
  } catch {
    return false; // a malformed signature: noble throws for some shapes rather than returning false
  }
}
