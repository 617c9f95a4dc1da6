import { parser } from '@prometheus-io/lezer-promql';
import { templateReferences } from './template.js';

/** A problem in one query, at an offset into the query as written. */
export interface QueryProblem {
  code: 'ANALYSIS_TEMPLATE' | 'ANALYSIS_QUERY';
  message: string;
  offset: number;
}

/** Stands in for a value variable while parsing: a plain word, harmless inside a string. */
const MARKER = 'aviaryvalue';

interface Substituted {
  text: string;
  /** Where each value variable's stand-in starts in `text`, with its offset in the original. */
  values: { at: number; original: number; name: string }[];
  /** Maps an offset in `text` back to the query as written. */
  toOriginal(offset: number): number;
}

function substitute(query: string, window: string): Substituted {
  const refs = templateReferences(query);
  const values: Substituted['values'] = [];
  const shifts: { at: number; original: number }[] = [];
  let text = '';
  let last = 0;
  for (const r of refs) {
    text += query.slice(last, r.offset);
    const stand = r.name === 'window' ? window : MARKER;
    if (r.name !== 'window') values.push({ at: text.length, original: r.offset, name: r.name });
    shifts.push({ at: text.length, original: r.offset });
    text += stand;
    last = r.offset + r.length;
    shifts.push({ at: text.length, original: last });
  }
  text += query.slice(last);
  return {
    text,
    values,
    toOriginal(offset) {
      let base = { at: 0, original: 0 };
      for (const s of shifts) if (s.at <= offset) base = s;
      return base.original + (offset - base.at);
    },
  };
}

/**
 * Parses a query with the Prometheus project's PromQL grammar, the template variables replaced by
 * stand-ins (`{{window}}` by the real window). Reports the first syntax error, or else each value
 * variable that is not inside a double-quoted string: its value is escaped for exactly that place.
 */
export function checkQuery(query: string, window: string): QueryProblem[] {
  const sub = substitute(query, window);
  const tree = parser.parse(sub.text);
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (error !== undefined) return false;
      if (node.type.isError) error = node.from;
      return undefined;
    },
  });
  if (error !== undefined) {
    // An error at the very end (a missing parenthesis) points at the last character written.
    const offset = Math.min(sub.toOriginal(error), query.trimEnd().length);
    const near = query.slice(offset, offset + 20).split('\n')[0]!;
    return [
      {
        code: 'ANALYSIS_QUERY',
        message:
          near === ''
            ? 'PromQL syntax error: the query ends too early'
            : `PromQL syntax error near "${near}"`,
        offset,
      },
    ];
  }
  const problems: QueryProblem[] = [];
  for (const v of sub.values) {
    const node = tree.resolveInner(v.at, 1);
    if (node.name !== 'StringLiteral' || sub.text[node.from] !== '"') {
      problems.push({
        code: 'ANALYSIS_TEMPLATE',
        message: `{{${v.name}}} must be inside a double-quoted string, e.g. label="{{${v.name}}}"`,
        offset: v.original,
      });
    }
  }
  return problems;
}
