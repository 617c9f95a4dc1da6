import { formatDiagnostic, type Diagnostic } from '../errors.js';
import { isObject } from '../object.js';
import { createValidator, type Validator } from '../schema/validator.js';
import { matchProblems } from './effect.js';
import { policySchema, type ModelReleasePolicy } from './schema.js';
import type { PolicyMode } from './types.js';

type Match = NonNullable<ModelReleasePolicy['spec']['match']>;

/**
 * A policy that exists (a stored custom resource) but cannot be enforced as written: it failed
 * validation, or its name is taken. The engine refuses what it would govern rather than skip it,
 * so a broken policy never leaves the cluster less protected than its author intended, on any
 * replica and after any restart.
 */
export interface UnenforceablePolicy {
  name: string;
  /** What it governs as far as that can be read exactly; undefined: everything (fail closed). */
  match: Match | undefined;
  mode: PolicyMode;
  /** The validation problems, formatted: the reason given with every refusal. */
  reasons: readonly string[];
}

let matchValidator: Validator<Match> | undefined;

/**
 * Reads as much of an invalid policy document as can be read exactly: its `spec.match` when that
 * part alone is valid, else none (it then governs every object), and its `spec.mode` when that is
 * `warn` or `audit` (the author asked for no denial), else enforce.
 */
export function unenforceablePolicy(
  name: string,
  document: unknown,
  diagnostics: readonly Diagnostic[],
): UnenforceablePolicy {
  const spec = isObject(document) && isObject(document['spec']) ? document['spec'] : {};
  const rawMode = spec['mode'];
  const mode: PolicyMode = rawMode === 'warn' || rawMode === 'audit' ? rawMode : 'enforce';
  return {
    name,
    match: readMatch(spec['match']),
    mode,
    reasons: diagnostics.map(formatDiagnostic),
  };
}

function readMatch(raw: unknown): Match | undefined {
  if (raw === undefined) return undefined;
  matchValidator ??= createValidator<Match>(policySchema.properties.spec.properties.match);
  const r = matchValidator(raw);
  if (!r.ok || matchProblems(r.value).length > 0) return undefined;
  return r.value;
}
