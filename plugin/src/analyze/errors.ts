import { AviaryError, type Code, type Diagnostic } from '@aviary/policies';
import { EXIT } from '../io.js';

/**
 * A failure of `aviary analyze`, with its exit code: 2 bad input or a configuration error (the
 * default), 4 Prometheus or Git unreachable or failing. Whatever the code, the release it concerns
 * is decided nothing: no model moves.
 */
export class AnalyzeError extends AviaryError {
  readonly exit: number;

  constructor(
    code: Code,
    message: string,
    options: { exit?: number; diagnostics?: Diagnostic[]; cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.exit = options.exit ?? EXIT.BAD_INPUT;
  }
}
