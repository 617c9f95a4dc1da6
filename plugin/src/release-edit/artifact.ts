import { isMap, isScalar, type YAMLMap } from 'yaml';
import {
  EditUnsupported,
  endOfLine,
  keyIndent,
  lastEnd,
  lineOf,
  pairOf,
  range,
  renderScalar,
  specOf,
  splice,
  type Splice,
} from './source-ranges.js';

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
  const spec = specOf(text, index);
  const values = FIELDS.filter((f) => record[f] !== undefined).map(
    (f) => [f, renderScalar(record[f]!)] as const,
  );
  const existing = pairOf(spec, role);
  if (existing === undefined) return insertRecord(text, spec, role, values);
  const map = existing.value;
  if (!isMap(map)) throw new EditUnsupported(`spec.${role} is not a mapping`);
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
      if (!isScalar(pair.value)) throw new EditUnsupported(`spec.${role}.${field} is not a scalar`);
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
  if (spec.flow) throw new EditUnsupported('spec is a flow mapping');
  const stable = pairOf(spec, 'stable');
  if (stable === undefined || !isMap(stable.value) || stable.value.flow)
    throw new EditUnsupported(`spec.${role} is missing and spec.stable is not a block mapping`);
  const indent = keyIndent(text, stable);
  const child = keyIndent(text, stable.value.items[0]!);
  const after = endOfLine(text, lastEnd(stable.value));
  const block = [`${indent}${role}:`, ...values.map(([k, v]) => `${child}${k}: ${v}`)];
  return splice(text, [{ start: after, end: after, text: `\n${block.join('\n')}` }]);
}
