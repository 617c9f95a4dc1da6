/**
 * Identity patterns come from policy authors but run against attacker-chosen certificate SANs, so a
 * pattern must be anchored (an unanchored `github\.com/acme/` also matches
 * `evil.example/github.com/acme/`) and must not backtrack catastrophically.
 */
export type RegexProblem = 'REGEX_UNANCHORED' | 'REGEX_UNSAFE' | 'REGEX_INVALID';

export function checkIdentityRegex(source: string): RegexProblem | undefined {
  if (!source.startsWith('^') || !source.endsWith('$') || source.endsWith('\\$'))
    return 'REGEX_UNANCHORED';
  try {
    new RegExp(source, 'u');
  } catch {
    return 'REGEX_INVALID';
  }
  return hasNestedQuantifier(source) || /\\[1-9]/.test(source) ? 'REGEX_UNSAFE' : undefined;
}

/**
 * Finds a quantified group that itself contains a quantifier or an alternation, e.g. `(a+)+`,
 * `(.*)*` or `(a|aa)*`: the shapes behind exponential backtracking. Conservative by design: a
 * rejected but harmless pattern can always be rewritten.
 */
function hasNestedQuantifier(source: string): boolean {
  const stack: { risky: boolean }[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push({ risky: false });
    else if (c === ')') {
      const group = stack.pop();
      const next = source[i + 1];
      const quantified = next === '*' || next === '+' || next === '{' || next === '?';
      const repeating =
        next === '*' || next === '+' || (next === '{' && !/^\{\d+\}/.test(source.slice(i + 1)));
      if (group?.risky && quantified && repeating) return true;
      if (group?.risky && stack.length > 0) stack[stack.length - 1]!.risky = true;
    } else if (
      c === '*' ||
      c === '+' ||
      c === '|' ||
      (c === '{' && /^\{\d+,\d*\}/.test(source.slice(i)))
    ) {
      if (stack.length > 0) stack[stack.length - 1]!.risky = true;
    }
  }
  return false;
}
