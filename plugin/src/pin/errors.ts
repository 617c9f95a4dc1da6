import { CommandError } from '../command-error.js';

/**
 * A refusal of `aviary pin`, with its exit code: 2 bad input (the default), 1 refused by
 * verification or policy, 4 the registry unreachable or failing. Whatever the code, nothing has
 * been written when it is thrown.
 */
export class PinError extends CommandError {}
