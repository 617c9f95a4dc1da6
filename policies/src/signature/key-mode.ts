import { RANK, type Attempt } from './attempt.js';
import { clip, type ParsedBundle } from './bundle.js';
import { signatureMatches } from './content.js';
import type { TrustedKey } from './keys.js';

export interface KeyAuthority {
  name: string;
  key: TrustedKey;
}

/**
 * Key mode (model_signing `sign key`, cosign `--key`): the configured key is the whole trust
 * decision, so transparency-log entries or timestamps a bundle may carry are not consulted.
 * A hint, when present, picks the key; it is never trusted beyond that, since the signature
 * must still verify under the configured key.
 */
export function verifyWithKeys(
  bundle: ParsedBundle,
  authorities: readonly KeyAuthority[],
  allowLegacyPae: boolean,
): Attempt {
  if (bundle.material.kind !== 'publicKey') throw new Error('key mode needs publicKey material');
  const { hint } = bundle.material;
  const candidates =
    hint === undefined ? authorities : authorities.filter((a) => a.key.hints.has(hint));
  if (candidates.length === 0) {
    return {
      ok: false,
      code: 'SIG_UNTRUSTED',
      rank: RANK.noMatch,
      message:
        hint === undefined
          ? 'the bundle is signed with a key, and no key authority is configured'
          : `the bundle names key ${clip(hint)}, which no key authority holds`,
    };
  }
  for (const a of candidates) {
    if (signatureMatches(bundle.content, a.key.key, a.key.hash, allowLegacyPae)) {
      return { ok: true, authority: a.name, signer: hint ?? a.key.fingerprint };
    }
  }
  return hint === undefined
    ? {
        ok: false,
        code: 'SIG_UNTRUSTED',
        rank: RANK.noMatch,
        message: 'the signature verifies under none of the configured keys',
      }
    : {
        ok: false,
        code: 'SIG_INVALID',
        rank: RANK.invalid,
        message: `the signature does not verify under the key of authority "${candidates[0]!.name}"`,
      };
}
