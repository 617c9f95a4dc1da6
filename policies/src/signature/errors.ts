import { AviaryError } from '../errors.js';
import type { CodeIn } from '../codes.js';
import type { SignatureCode } from './types.js';

/**
 * The verifier's configuration is unusable: a bad key or certificate, an unanchored identity
 * regex, a missing or malformed trusted root. Thrown by `createSignatureVerifier` so a bad policy
 * is refused when it is loaded, not on the first admission request.
 */
export type SignatureConfigErrorCode = CodeIn<'verifier'>;
export class SignatureConfigError extends AviaryError<SignatureConfigErrorCode> {}

/**
 * A verdict reached deep inside verification. Thrown internally so each step can stop the
 * pipeline with its own code; `verify` turns it into `{ ok: false }` and never lets it escape.
 */
export class SignatureFailure extends Error {
  constructor(
    readonly code: Exclude<SignatureCode, 'SIG_INTERNAL_ERROR'>,
    message: string,
  ) {
    super(message);
    this.name = 'SignatureFailure';
  }
}

export function fail(code: SignatureFailure['code'], message: string): never {
  throw new SignatureFailure(code, message);
}
