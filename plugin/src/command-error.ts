import { AviaryError, type Code, type Diagnostic } from '@aviary/policies';
import { EXIT } from './io.js';

/**
 * An error a command reports and exits with: the code names what went wrong, `exit` the exit code
 * it stands for (2 bad input unless said otherwise). Each command that has exit codes of its own
 * (`pin`, `analyze`) names its subclass, so a caller can tell whose refusal it is.
 */
export class CommandError extends AviaryError {
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
