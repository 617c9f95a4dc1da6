import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { HashAlgorithm } from './types.js';

export interface TrustedKey {
  key: KeyObject;
  /** Hash used with the key; null for Ed25519, which hashes internally. */
  hash: HashAlgorithm | null;
  /** Every form of `publicKey.hint` that names this key (see {@link keyHints}). */
  hints: ReadonlySet<string>;
  /** The model-signing hint, used as the signer name when a bundle carries no hint. */
  fingerprint: string;
}

// The signing hash follows the curve, as in model_signing (`get_ec_key_hash`); sigstore-js
// instead always lets Node pick SHA-256, which is why P-384/P-521 bundles fail there.
const CURVE_HASH: Readonly<Record<string, HashAlgorithm>> = {
  prime256v1: 'sha256',
  secp384r1: 'sha384',
  secp521r1: 'sha512',
};

/** Parses a configured public key; throws a plain Error with the reason when unusable. */
export function parseTrustedKey(pem: string, hash?: HashAlgorithm): TrustedKey {
  const key = createPublicKey(pem);
  let natural: HashAlgorithm | null;
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
    const h = CURVE_HASH[curve];
    if (h === undefined) throw new Error(`unsupported EC curve "${curve}" (P-256, P-384, P-521)`);
    natural = h;
  } else if (key.asymmetricKeyType === 'ed25519') {
    if (hash !== undefined) throw new Error('an Ed25519 key takes no hashAlgorithm');
    natural = null;
  } else if (key.asymmetricKeyType === 'rsa') {
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
      throw new Error('RSA keys need at least 2048 bits');
    natural = 'sha256';
  } else {
    throw new Error(`unsupported key type "${key.asymmetricKeyType ?? 'unknown'}"`);
  }
  const hints = keyHints(key);
  return { key, hash: hash ?? natural, hints: new Set(hints), fingerprint: hints[0] };
}

/**
 * The hint forms signers write: model_signing uses hex SHA-256 of the canonical SPKI PEM;
 * sigstore-js and cosign use SHA-256 of the DER SPKI, base64 or hex. Matching all of them lets
 * one configured key select itself without trusting anything else in the bundle.
 */
export function keyHints(key: KeyObject): [string, ...string[]] {
  const pem = key.export({ type: 'spki', format: 'pem' });
  const der = key.export({ type: 'spki', format: 'der' });
  const derHash = createHash('sha256').update(der).digest();
  return [
    createHash('sha256').update(pem).digest('hex'),
    derHash.toString('base64'),
    derHash.toString('hex'),
  ];
}

/** The hash a signer uses with this key by default (the curve's, for ECDSA). */
export function hashForKey(key: KeyObject): HashAlgorithm | null {
  if (key.asymmetricKeyType === 'ed25519') return null;
  if (key.asymmetricKeyType === 'ec')
    return CURVE_HASH[key.asymmetricKeyDetails?.namedCurve ?? ''] ?? 'sha256';
  return 'sha256';
}
