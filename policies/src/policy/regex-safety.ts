import { compileIdentityRegex, type IdentityRegexProblem } from '../signature/identity.js';

/**
 * Identity patterns come from policy authors but run against attacker-chosen certificate SANs:
 * they must be anchored, compile under RE2 (linear time, so no pattern can freeze admission) and
 * not match identities no signer holds. See `compileIdentityRegex`.
 */
export type RegexProblem = IdentityRegexProblem;

export function checkIdentityRegex(source: string): RegexProblem | undefined {
  const result = compileIdentityRegex(source);
  return result.ok ? undefined : result.problem;
}
