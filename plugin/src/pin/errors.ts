import { AviaryError, type Code, type Diagnostic } from '@aviary/policies';
import { EXIT } from '../io.js';

/**
 * A refusal of `aviary pin`, with its exit code: 2 bad input (the default), 1 refused by
 * verification or policy, 4 the registry unreachable or failing. Whatever the code, nothing has
 * been written when it is thrown.
 */
export class PinError extends AviaryError {
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
