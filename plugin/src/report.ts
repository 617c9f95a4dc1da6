import { AviaryError, formatDiagnostic, type Diagnostic } from '@aviary/policies';
import { EXIT, type CommandIO } from './io.js';

/** Prints every diagnostic on stderr and returns the exit code for bad input. */
export function reportDiagnostics(io: CommandIO, diagnostics: readonly Diagnostic[]): number {
  const sorted = [...diagnostics].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
  for (const d of sorted) io.stderr.write(`${formatDiagnostic(d)}\n`);
  const n = diagnostics.length;
  io.stderr.write(`aviary: ${n} problem${n === 1 ? '' : 's'}; no manifests were written\n`);
  return EXIT.BAD_INPUT;
}

/** Prints load warnings (a policy that loads but does less than it seems to) on stderr. */
export function reportWarnings(io: CommandIO, warnings: readonly Diagnostic[]): void {
  for (const d of warnings) io.stderr.write(`aviary: warning: ${formatDiagnostic(d)}\n`);
}

/**
 * Turns any thrown value into stderr text and an exit code. Known errors keep their code; anything
 * else is reported as an internal error without a stack trace (set AVIARY_DEBUG=1 to see one).
 */
export function reportError(io: CommandIO, err: unknown): number {
  if (err instanceof AviaryError) {
    if (err.diagnostics.length > 0) return reportDiagnostics(io, err.diagnostics);
    io.stderr.write(`aviary: ${err.code} ${err.message}\n`);
    return EXIT.BAD_INPUT;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`aviary: INTERNAL ${message}\n`);
  if (io.env['AVIARY_DEBUG'] === '1' && err instanceof Error && err.stack)
    io.stderr.write(`${err.stack}\n`);
  return EXIT.INTERNAL;
}
