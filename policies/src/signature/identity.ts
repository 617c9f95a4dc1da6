import { SignatureConfigError } from './errors.js';

/**
 * Compiles a keyless `subjectRegExp`. It must be visibly anchored (start with ^, end with an
 * unescaped $) so a reviewer reading the policy sees a full match; it is also wrapped in
 * `^(?:…)$`, because `^a|b$` is "anchored" at both ends yet matches anything containing `b`.
 */
export function compileSubjectRegExp(source: string, authority: string): RegExp {
  if (!source.startsWith('^') || !endsWithUnescapedDollar(source)) {
    throw new SignatureConfigError(
      'SIG_REGEX_UNANCHORED',
      `authority "${authority}": subjectRegExp must start with ^ and end with $`,
    );
  }
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (e) {
    throw new SignatureConfigError(
      'SIG_CONFIG_INVALID',
      `authority "${authority}": subjectRegExp is not a valid regular expression`,
      { cause: e },
    );
  }
}

function endsWithUnescapedDollar(s: string): boolean {
  if (!s.endsWith('$')) return false;
  let backslashes = 0;
  for (let i = s.length - 2; i >= 0 && s[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 0;
}
