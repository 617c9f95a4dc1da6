import { CommandError } from '../command-error.js';

/**
 * A failure of `aviary analyze` for one release or the whole pass, with its exit code: 2 bad input
 * or a configuration error (the default), 4 Prometheus or Git unreachable or failing. Whatever the
 * code, the release it concerns decides nothing: no step, promotion or rollback is written.
 */
export class AnalyzeError extends CommandError {}
