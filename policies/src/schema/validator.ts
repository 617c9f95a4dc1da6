import { Ajv, type AnySchema } from 'ajv';
import { toProblems, type SchemaProblem } from './problems.js';

export { toProblems, formatPath, type SchemaProblem } from './problems.js';

export type Validation<T> = { ok: true; value: T } | { ok: false; problems: SchemaProblem[] };
export type Validator<T> = (value: unknown) => Validation<T>;

let shared: Ajv | undefined;
function ajv(): Ajv {
  // allErrors so a user sees every problem in one run; strict so a schema typo fails at compile time.
  shared ??= new Ajv({ allErrors: true, strict: true, strictTuples: false, allowUnionTypes: true });
  return shared;
}

/** Compiles once; call at module or process start, never per request. */
export function createValidator<T>(schema: AnySchema): Validator<T> {
  const validate = ajv().compile(schema);
  return (value) => {
    if (validate(value)) return { ok: true, value: value as T };
    return { ok: false, problems: toProblems(validate.errors ?? []) };
  };
}
