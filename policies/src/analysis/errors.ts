import { AviaryError } from '../errors.js';
import type { CodeIn } from '../codes.js';

/** An analysis that cannot be evaluated as configured; callers branch on `code`. */
export class AnalysisError extends AviaryError<CodeIn<'analysis'>> {}
