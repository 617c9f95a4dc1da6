/**
 * One authority kind's verdict on a bundle. When no authority accepts, the most telling failure
 * is reported: a valid signature from someone else (`SIG_UNTRUSTED` after the cryptography
 * passed) beats a broken one, which beats "no configured authority could even apply".
 */
export type Attempt =
  | {
      ok: true;
      authority: string;
      signer: string;
      issuer?: string;
      /** When the verdict depends on the clock (certificate validity), when it stops holding. */
      validUntil?: Date;
    }
  | {
      ok: false;
      code: 'SIG_INVALID' | 'SIG_CERT_EXPIRED' | 'SIG_CERT_CRITICAL_EXTENSION' | 'SIG_UNTRUSTED';
      message: string;
      rank: number;
    };

export const RANK = Object.freeze({ noMatch: 0, invalid: 1, expired: 2, identityMismatch: 3 });

export function best(attempts: readonly Attempt[]): Attempt | undefined {
  const success = attempts.find((a) => a.ok);
  if (success !== undefined) return success;
  let top: Attempt | undefined;
  for (const a of attempts)
    if (!a.ok && (top === undefined || (!top.ok && a.rank > top.rank))) top = a;
  return top;
}
