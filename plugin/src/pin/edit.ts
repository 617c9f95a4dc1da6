import { isMap, isScalar, parseAllDocuments, type Node, type Pair, type YAMLMap } from 'yaml';
import { PinError } from './errors.js';

export type Role = 'stable' | 'canary';

/** The artifact record `aviary pin` writes; a field left undefined is removed from the file. */
export interface ArtifactRecord {
  uri: string;
  digest: string;
  signature?: string;
  source?: string;
  /** Canary only. */
  traffic?: number;
}

const FIELDS = ['uri', 'digest', 'signature', 'source', 'traffic'] as const;

interface Splice {
  start: number;
  end: number;
  text: string;
}

/**
 * Replaces the `role` artifact record of document `index` in a YAML stream, in place: the `yaml`
 * Document API gives each node's source range, and only those ranges change, so comments, order,
 * quoting and layout of everything else stay byte for byte (re-serialising with `toString()`
 * would reformat flow collections and comment spacing). Values are replaced where they are,
 * missing fields are added after the record's last field at its indentation, fields the record
 * does not carry are removed with their line; a missing `canary` is added after `stable`. The
 * caller re-reads the result to prove it means what was intended.
 */
export function replaceArtifact(
  text: string,
  index: number,
  role: Role,
  record: ArtifactRecord,
): string {
  const doc = parseAllDocuments(text)[index];
  if (doc === undefined || Array.isArray(doc) === true) throw unsupported('no such document');
  const spec = doc.get('spec', true);
  if (!isMap(spec)) throw unsupported('spec is not a mapping');
  const values = FIELDS.filter((f) => record[f] !== undefined).map(
    (f) => [f, render(record[f]!)] as const,
  );
  const existing = pairOf(spec, role);
  if (existing === undefined) return insertRecord(text, spec, role, values);
  const map = existing.value;
  if (!isMap(map)) throw unsupported(`spec.${role} is not a mapping`);
  if (map.flow) {
    const [start, end] = range(map);
    return splice(text, [
      { start, end, text: `{ ${values.map(([k, v]) => `${k}: ${v}`).join(', ')} }` },
    ]);
  }
  const edits: Splice[] = [];
  const added: string[] = [];
  for (const field of FIELDS) {
    const pair = pairOf(map, field);
    const value = values.find(([k]) => k === field)?.[1];
    if (pair !== undefined && value !== undefined) {
      if (!isScalar(pair.value)) throw unsupported(`spec.${role}.${field} is not a scalar`);
      const [start, end] = range(pair.value);
      edits.push({ start, end, text: value });
    } else if (pair !== undefined) {
      edits.push(lineOf(text, pair));
    } else if (value !== undefined) {
      added.push(`${field}: ${value}`);
    }
  }
  if (added.length > 0) {
    const indent = keyIndent(text, map.items[0]!);
    const at = endOfLine(text, lastEnd(map));
    edits.push({ start: at, end: at, text: added.map((l) => `\n${indent}${l}`).join('') });
  }
  return splice(text, edits);
}

function insertRecord(
  text: string,
  spec: YAMLMap,
  role: Role,
  values: readonly (readonly [string, string])[],
): string {
  if (spec.flow) throw unsupported('spec is a flow mapping');
  const stable = pairOf(spec, 'stable');
  if (stable === undefined || !isMap(stable.value) || stable.value.flow)
    throw unsupported(`spec.${role} is missing and spec.stable is not a block mapping`);
  const indent = keyIndent(text, stable);
  const child = keyIndent(text, stable.value.items[0]!);
  const after = endOfLine(text, lastEnd(stable.value));
  const block = [`${indent}${role}:`, ...values.map(([k, v]) => `${child}${k}: ${v}`)];
  return splice(text, [{ start: after, end: after, text: `\n${block.join('\n')}` }]);
}

function pairOf(map: YAMLMap, key: string): Pair<Node, Node> | undefined {
  return map.items.find((p) => isScalar(p.key) && p.key.value === key) as
    Pair<Node, Node> | undefined;
}

function range(node: Node): [number, number] {
  if (node.range === undefined || node.range === null) throw unsupported('node without position');
  return [node.range[0], node.range[1]];
}

/** Where the last pair of a block mapping ends (its value's end, or its key's for `key:`). */
function lastEnd(map: YAMLMap): number {
  const last = map.items.at(-1) as Pair<Node, Node | null> | undefined;
  if (last === undefined) throw unsupported('empty mapping');
  const node = last.value ?? last.key;
  return range(node)[1];
}

/** The position just before the newline that ends the line holding `offset - 1`. */
function endOfLine(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === '\n') return offset - 1;
  const nl = text.indexOf('\n', offset);
  return nl === -1 ? text.length : nl;
}

/** The whole line(s) of a block pair, newline included, when the key starts its own line. */
function lineOf(text: string, pair: Pair<Node, Node | null>): Splice {
  const [keyStart] = range(pair.key);
  const lineStart = text.lastIndexOf('\n', keyStart - 1) + 1;
  if (text.slice(lineStart, keyStart).trim() !== '') throw unsupported('a field shares its line');
  const end = endOfLine(text, range(pair.value ?? pair.key)[1]);
  return { start: lineStart, end: Math.min(text.length, end + 1), text: '' };
}

function keyIndent(text: string, pair: unknown): string {
  const [keyStart] = range((pair as Pair<Node, Node>).key);
  const lineStart = text.lastIndexOf('\n', keyStart - 1) + 1;
  const indent = text.slice(lineStart, keyStart);
  if (indent.trim() !== '') throw unsupported('a field shares its line');
  return indent;
}

function splice(text: string, edits: Splice[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start))
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** Plain when the value cannot be read as anything but this string, else double-quoted (JSON). */
function render(value: string | number): string {
  if (typeof value === 'number') return String(value);
  return /^[A-Za-z0-9._/-][A-Za-z0-9._/:@+=~-]*$/.test(value) &&
    !value.endsWith(':') &&
    !/^[+-]?\.?[0-9]|^[+-]?\.(inf|nan)$/i.test(value) &&
    !/^(y|n|yes|no|on|off|true|false|null)$/i.test(value)
    ? value
    : JSON.stringify(value);
}

function unsupported(why: string): PinError {
  return new PinError('PIN_EDIT_UNSUPPORTED', `cannot edit the release in place: ${why}`);
}
