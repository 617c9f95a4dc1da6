import { RE2JS } from 're2js';
import { SignatureConfigError } from './errors.js';

export type IdentityRegexProblem = 'REGEX_UNANCHORED' | 'REGEX_INVALID' | 'REGEX_MATCHES_ALL';

/** A compiled `subjectRegExp`: a full match in time linear in the identity's length. */
export interface IdentityPattern {
  test(identity: string): boolean;
}

/**
 * Identities no signer can be issued (the reserved `.invalid` domain, RFC 2606, an empty or
 * one-character name) in each SAN shape Fulcio certifies. A pattern that accepts any of them
 * trusts identities its author never meant (`^.*$`, `^.+$`, `^[\s\S]*$`, `^https://.*$`…), so it
 * is refused like a missing subject. A floor, not a proof: a finite probe set cannot show that a
 * pattern is narrow.
 */
const PROBES = [
  '',
  'x',
  'probe@aviary.invalid',
  'https://aviary.invalid/probe',
  'spiffe://aviary.invalid/ns/probe/sa/probe',
  'https://github.com/aviary-probe.invalid/probe/.github/workflows/probe.yml@refs/heads/probe',
];

/**
 * Compiles a `subjectRegExp` with RE2 (re2js): no backtracking, so an attacker-chosen SAN cannot
 * freeze admission whatever the pattern. It must be visibly anchored (start with ^, end with an
 * unescaped $) so a reviewer sees a full match; it is also wrapped in `^(?:…)$`, because `^a|b$`
 * is "anchored" at both ends yet matches anything containing `b`.
 */
export function compileIdentityRegex(
  source: string,
): { ok: true; pattern: IdentityPattern } | { ok: false; problem: IdentityRegexProblem } {
  if (!source.startsWith('^') || !endsWithUnescapedDollar(source))
    return { ok: false, problem: 'REGEX_UNANCHORED' };
  let re: RE2JS;
  try {
    re = RE2JS.compile(`^(?:${source})$`);
  } catch {
    return { ok: false, problem: 'REGEX_INVALID' };
  }
  if (PROBES.some((p) => re.matches(p))) return { ok: false, problem: 'REGEX_MATCHES_ALL' };
  return { ok: true, pattern: { test: (identity) => re.matches(identity) } };
}

/** The verifier's variant: the same rules, as a {@link SignatureConfigError}. */
export function compileSubjectRegExp(source: string, authority: string): IdentityPattern {
  const result = compileIdentityRegex(source);
  if (result.ok) return result.pattern;
  if (result.problem === 'REGEX_UNANCHORED') {
    throw new SignatureConfigError(
      'SIG_REGEX_UNANCHORED',
      `authority "${authority}": subjectRegExp must start with ^ and end with $`,
    );
  }
  throw new SignatureConfigError(
    'SIG_CONFIG_INVALID',
    result.problem === 'REGEX_INVALID'
      ? `authority "${authority}": subjectRegExp is not a valid RE2 regular expression`
      : `authority "${authority}": subjectRegExp matches identities no signer holds, so it names no one`,
  );
}

function endsWithUnescapedDollar(s: string): boolean {
  if (!s.endsWith('$')) return false;
  let backslashes = 0;
  for (let i = s.length - 2; i >= 0 && s[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 0;
}
