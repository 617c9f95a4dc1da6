import type { Decision, PolicyFinding } from './types.js';

/**
 * One line per finding, the same in the webhook's denial message, `aviary check` and the plugin's
 * pre-flight, so a user sees one wording wherever a rule fires.
 */
export function formatFinding(f: PolicyFinding): string {
  // An empty path: the finding is about the policy, not a field of the object.
  return `${f.path === '' ? '' : `${f.path}: `}${f.message} [${f.code}, policy ${f.policy}]`;
}

/** The denial message: every violation, in a stable order. */
export function denialMessage(decision: Decision): string {
  const lines = decision.violations.map(formatFinding);
  return `denied by Aviary: ${lines.length} violation${lines.length === 1 ? '' : 's'}: ${lines.join('; ')}`;
}
