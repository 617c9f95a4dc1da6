import { AnalysisError } from './errors.js';

/** The variables a query may use, each as `{{name}}`. */
export const TEMPLATE_VARIABLES = [
  'namespace',
  'name',
  'window',
  'artifact',
  'canary.artifact',
  'stable.artifact',
  'canary.digest',
  'stable.digest',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

const KNOWN: ReadonlySet<string> = new Set(TEMPLATE_VARIABLES);
const REFERENCE = /\{\{([^{}]*)\}\}/g;

export interface TemplateReference {
  /** The text between the braces, as written. */
  name: string;
  /** Offset of `{{` in the query. */
  offset: number;
  length: number;
  known: boolean;
}

/** Every `{{…}}` in a query, in order. Only an exact known name is a variable: no spaces, no filters. */
export function templateReferences(query: string): TemplateReference[] {
  return [...query.matchAll(REFERENCE)].map((m) => ({
    name: m[1]!,
    offset: m.index,
    length: m[0].length,
    known: KNOWN.has(m[1]!),
  }));
}

/** Whether a query refers to a variable. */
export function usesVariable(query: string, name: TemplateVariable): boolean {
  return templateReferences(query).some((r) => r.name === name);
}

const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/**
 * A value as the content of a double-quoted PromQL string: backslash, quote and line breaks
 * escaped, every other control character (and U+2028/9) as `\u`, so a value can never end the
 * string or the line it sits in.
 */
export function escapePromqlString(value: string): string {
  let out = '';
  for (const c of value) {
    const code = c.codePointAt(0)!;
    const control = code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029;
    out += ESCAPES[c] ?? (control ? `\\u${code.toString(16).padStart(4, '0')}` : c);
  }
  return out;
}

/**
 * Replaces each `{{name}}` with its value, escaped as string-literal content. A reference without
 * a value is ANALYSIS_TEMPLATE: queries are checked when the file loads, so this is a caller bug.
 */
export function expandTemplate(query: string, vars: Record<string, string>): string {
  return query.replace(REFERENCE, (_, name: string) => {
    const value = Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined;
    if (value === undefined)
      throw new AnalysisError('ANALYSIS_TEMPLATE', `no value for template variable {{${name}}}`);
    return escapePromqlString(value);
  });
}
