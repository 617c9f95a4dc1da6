import { LineCounter, Scalar, isScalar, parseAllDocuments } from 'yaml';
import { KUBERNETES_READ } from '../yaml/schema.js';

/**
 * The file position of an offset inside a string value, for a problem found inside a multi-line
 * query. `text` has already passed the bounded reader, so parsing it again for positions is safe.
 * Exact for plain, quoted and literal (`|`) scalars on one line and for every line of a literal
 * block; a folded or multi-line plain scalar reports where the value starts.
 */
export function valuePosition(
  text: string,
  path: readonly (string | number)[],
  offset: number,
): { line: number; column: number } | undefined {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { ...KUBERNETES_READ, lineCounter });
  if (!Array.isArray(docs) || docs.length === 0) return undefined;
  const node = docs[0]!.getIn(path, true);
  if (!isScalar(node) || node.range === undefined || node.range === null) return undefined;
  const start = lineCounter.linePos(node.range[0]);
  const value = String(node.value);
  const before = value.slice(0, offset);
  const lineInValue = before.split('\n').length - 1;
  const columnInValue = offset - (before.lastIndexOf('\n') + 1);
  if (node.type === Scalar.BLOCK_LITERAL) {
    // Content starts on the line after the header; the block's indentation is that of its first
    // non-empty line (YAML detects it there).
    const lines = text.slice(node.range[0]).split('\n').slice(1);
    const first = lines.find((l) => l.trim() !== '') ?? '';
    const indent = first.length - first.trimStart().length;
    return { line: start.line + 1 + lineInValue, column: indent + columnInValue + 1 };
  }
  const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE;
  const raw = text.slice(node.range[0], node.range[1]).trimEnd();
  // Exact only when the source spells the value verbatim: no escapes, no folded lines.
  if (raw.length - (quoted ? 2 : 0) === value.length && !value.includes('\n'))
    return { line: start.line, column: start.col + (quoted ? 1 : 0) + columnInValue };
  return { line: start.line, column: start.col };
}
