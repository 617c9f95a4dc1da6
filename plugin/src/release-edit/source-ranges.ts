import { isMap, isScalar, parseAllDocuments, type Node, type Pair, type YAMLMap } from 'yaml';

/**
 * Source-position helpers for byte-preserving edits of YAML: the `yaml` Document API gives every
 * node's range, and an edit is a list of splices at those ranges, so everything outside them
 * (comments, quoting, flow collections, spacing) stays byte for byte. Shared by `aviary pin` and the
 * analyzer's write-back; each caller maps `EditUnsupported` to its own code.
 */

/** A layout the in-place editor cannot handle; the caller turns it into its own error code. */
export class EditUnsupported extends Error {}

export interface Splice {
  start: number;
  end: number;
  text: string;
}

/** The `spec` mapping of document `index` of a YAML stream, with source ranges. */
export function specOf(text: string, index: number): YAMLMap {
  const docs = parseAllDocuments(text);
  const doc = Array.isArray(docs) ? docs[index] : undefined;
  if (doc === undefined) throw new EditUnsupported('no such document');
  const spec = doc.get('spec', true);
  if (!isMap(spec)) throw new EditUnsupported('spec is not a mapping');
  return spec;
}

export function pairOf(map: YAMLMap, key: string): Pair<Node, Node> | undefined {
  return map.items.find((p) => isScalar(p.key) && p.key.value === key) as
    Pair<Node, Node> | undefined;
}

export function range(node: Node): [number, number] {
  if (node.range === undefined || node.range === null)
    throw new EditUnsupported('node without position');
  return [node.range[0], node.range[1]];
}

/** Where the last pair of a block mapping ends (its value's end, or its key's for `key:`). */
export function lastEnd(map: YAMLMap): number {
  const last = map.items.at(-1) as Pair<Node, Node | null> | undefined;
  if (last === undefined) throw new EditUnsupported('empty mapping');
  const node = last.value ?? last.key;
  return range(node)[1];
}

/** The position just before the newline that ends the line holding `offset - 1`. */
export function endOfLine(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === '\n') return offset - 1;
  const nl = text.indexOf('\n', offset);
  return nl === -1 ? text.length : nl;
}

/** The whole line(s) of a block pair, newline included, when the key starts its own line. */
export function lineOf(text: string, pair: Pair<Node, Node | null>): Splice {
  const [keyStart] = range(pair.key);
  const lineStart = text.lastIndexOf('\n', keyStart - 1) + 1;
  if (text.slice(lineStart, keyStart).trim() !== '')
    throw new EditUnsupported('a field shares its line');
  const end = endOfLine(text, range(pair.value ?? pair.key)[1]);
  return { start: lineStart, end: Math.min(text.length, end + 1), text: '' };
}

export function keyIndent(text: string, pair: unknown): string {
  const [keyStart] = range((pair as Pair<Node, Node>).key);
  const lineStart = text.lastIndexOf('\n', keyStart - 1) + 1;
  const indent = text.slice(lineStart, keyStart);
  if (indent.trim() !== '') throw new EditUnsupported('a field shares its line');
  return indent;
}

export function splice(text: string, edits: Splice[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start))
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** Plain when the value cannot be read as anything but this string, else double-quoted (JSON). */
export function renderScalar(value: string | number): string {
  if (typeof value === 'number') return String(value);
  return /^[A-Za-z0-9._/-][A-Za-z0-9._/:@+=~-]*$/.test(value) &&
    !value.endsWith(':') &&
    !/^[+-]?\.?[0-9]|^[+-]?\.(inf|nan)$/i.test(value) &&
    !/^(y|n|yes|no|on|off|true|false|null)$/i.test(value)
    ? value
    : JSON.stringify(value);
}
