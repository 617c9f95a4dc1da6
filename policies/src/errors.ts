/**
 * Errors carry a stable `code`; callers branch on `instanceof` and `code`, never on message text.
 * A problem that points into a user's file is a {@link Diagnostic}; several can ride on one error so
 * a user sees every problem in one run instead of fixing them one at a time.
 */
import type { Code } from './codes.js';

export interface Diagnostic {
  code: Code;
  message: string;
  /** File the problem is in, relative to the repository or working directory. */
  file?: string;
  line?: number;
  column?: number;
  /** JSON path of the offending field inside the document, e.g. `spec.canary.traffic`. */
  path?: string;
}

export abstract class AviaryError<C extends Code = Code> extends Error {
  readonly code: C;
  readonly diagnostics: readonly Diagnostic[];

  constructor(
    code: C,
    message: string,
    options: { diagnostics?: Diagnostic[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.diagnostics = options.diagnostics ?? [];
  }
}

/** The user's ModelRelease, manifest or repository content is wrong. */
export type SpecErrorCode =
  'SPEC_INVALID' | 'SPEC_NO_RELEASES' | 'SPEC_READ_FAILED' | 'SPEC_PATH_ESCAPE';
export class SpecError extends AviaryError<SpecErrorCode> {}

/** A ModelReleasePolicy document is wrong, or a policy set could not be loaded. */
export type PolicyErrorCode = 'POLICY_INVALID' | 'POLICY_READ_FAILED';
export class PolicyError extends AviaryError<PolicyErrorCode> {}

/** Command line or plugin parameters are wrong. */
export type UsageErrorCode = 'USAGE_INVALID' | 'PARAM_INVALID';
export class UsageError extends AviaryError<UsageErrorCode> {}

/** Formats a diagnostic as `file:line:column: CODE message (at path)`, the shape editors and CI logs link. */
export function formatDiagnostic(d: Diagnostic): string {
  const where =
    d.file === undefined
      ? ''
      : `${d.file}${d.line === undefined ? '' : `:${d.line}:${d.column ?? 1}`}: `;
  const at = d.path === undefined || d.path === '' ? '' : ` (at ${d.path})`;
  return `${where}${d.code} ${d.message}${at}`;
}
