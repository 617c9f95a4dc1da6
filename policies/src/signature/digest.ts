import { fail } from './errors.js';

const DIGEST = /^sha256:([0-9a-f]{64})$/;

/** The artifact digest the caller pins: exactly `sha256:` and 64 lowercase hex, as the evidence contract writes it. */
export function parseDigest(digest: unknown): string {
  const m = typeof digest === 'string' ? DIGEST.exec(digest) : null;
  if (m === null || m[1] === undefined) {
    fail('SIG_DIGEST_INVALID', 'digest must be sha256:<64 lowercase hex>');
  }
  return m[1];
}
