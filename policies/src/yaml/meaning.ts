import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import { GO_INT } from './schema.js';
import type { CodeIn } from '../codes.js';

/**
 * Checks, before a document becomes a JavaScript value, that it means one JSON value and that
 * value is what Kubernetes would read: no tag or directive go-yaml treats differently, no value
 * JSON cannot hold, no key that sigs.k8s.io/yaml would turn into another string or refuse, and no
 * merge whose result depends on which YAML 1.1 reader reads it.
 */

export interface MeaningProblem {
  code: CodeIn<'yaml'>;
  message: string;
  /** Offset in the source text to report the problem at. */
  offset: number;
}

const STR = 'tag:yaml.org,2002:str';
const MAP = 'tag:yaml.org,2002:map';
const SEQ = 'tag:yaml.org,2002:seq';

export function checkMeaning(doc: Document.Parsed, maxDepth: number): MeaningProblem | undefined {
  const d = doc.directives;
  if (
    d.yaml.explicit === true ||
    Object.keys(d.tags).some((handle) => handle !== '!!') ||
    d.tags['!!'] !== 'tag:yaml.org,2002:' ||
    doc.warnings.some((w) => w.code === 'BAD_DIRECTIVE')
  ) {
    // kubectl and Argo CD split the stream on `---` lines before parsing, so a directive ends up
    // alone in a document of its own and the whole file fails there.
    return unsupported(doc.range[0], 'YAML directives (%YAML, %TAG) cannot be read by Kubernetes');
  }
  return walk(doc, doc.contents, 0, maxDepth);
}

function walk(
  doc: Document.Parsed,
  node: unknown,
  depth: number,
  maxDepth: number,
): MeaningProblem | undefined {
  if (node === null || node === undefined) return undefined;
  const at = offsetOf(node);
  // An alias means its anchor's node, checked where the anchor stands.
  if (isAlias(node))
    return node.resolve(doc) === undefined ? unresolved(at, node.source) : undefined;
  if (depth > maxDepth) {
    return { code: 'YAML_TOO_DEEP', message: `nesting deeper than ${maxDepth} levels`, offset: at };
  }
  if (isScalar(node)) {
    if (node.tag !== undefined && node.tag !== STR) return explicitTag(at, node.tag);
    return scalarValue(at, node.value);
  }
  if (isSeq(node)) {
    if (node.tag !== undefined && node.tag !== SEQ) return explicitTag(at, node.tag);
    for (const item of node.items) {
      const p = walk(doc, item, depth + 1, maxDepth);
      if (p) return p;
    }
    return undefined;
  }
  if (isMap(node)) {
    if (node.tag !== undefined && node.tag !== MAP) return explicitTag(at, node.tag);
    const keys = new Set<string>();
    for (let i = 0; i < node.items.length; i++) {
      const { key, value } = node.items[i]!;
      if (isScalar(key) && typeof key.value === 'symbol') {
        // go-yaml applies `<<` where it stands, overwriting keys set before it; the YAML 1.1
        // spec (and the yaml library) never lets a merge override an explicit key. Only a
        // single merge at the top of its mapping reads the same both ways.
        if (i > 0) {
          return {
            code: 'YAML_MERGE_ORDER',
            message:
              'a `<<` merge key must be the first key of its mapping (and appear once): YAML 1.1 readers disagree on which value wins otherwise',
            offset: offsetOf(key),
          };
        }
      } else {
        const named = keyString(doc, key, offsetOf(value, at));
        if (typeof named !== 'string') return named;
        if (keys.has(named)) {
          return {
            code: 'YAML_DUPLICATE_KEY',
            message: `the key "${named}" appears twice once keys are read as strings`,
            offset: offsetOf(key),
          };
        }
        keys.add(named);
        const p = walk(doc, key, depth + 1, maxDepth);
        if (p) return p;
      }
      const p = walk(doc, value, depth + 1, maxDepth);
      if (p) return p;
    }
    return undefined;
  }
  return unsupported(at, 'only JSON-compatible values are allowed');
}

function scalarValue(at: number, value: unknown): MeaningProblem | undefined {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return unsupported(at, 'NaN and infinite numbers (.nan, .inf, 1e400) have no JSON form');
  }
  if (typeof value === 'bigint') {
    return unsupported(
      at,
      'integers beyond ±9007199254740991 cannot be carried exactly; quote the value if it is text',
    );
  }
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return undefined;
  return unsupported(at, 'only JSON-compatible values are allowed');
}

/**
 * The JSON key sigs.k8s.io/yaml makes of a mapping key: strings as they are, booleans and integers
 * in decimal. It refuses null and collection keys, and prints floats with float32 precision,
 * which a JavaScript reader cannot reproduce, so those are refused here.
 */
function keyString(doc: Document.Parsed, key: unknown, fallback: number): string | MeaningProblem {
  const at = offsetOf(key, fallback);
  const node = isAlias(key) ? key.resolve(doc) : key;
  if (isAlias(key) && node === undefined) return unresolved(at, key.source);
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) {
    return unsupported(at, 'a null mapping key has no JSON form');
  }
  if (!isScalar(node)) return unsupported(at, 'complex (non-scalar) mapping keys are not allowed');
  const value = node.value;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && GO_INT.test(node.source ?? '')) {
    return String(value);
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return unsupported(at, 'a floating-point mapping key is read differently by Go; quote it');
  }
  return scalarValue(at, value) ?? unsupported(at, 'only JSON-compatible values are allowed');
}

function explicitTag(at: number, tag: string): MeaningProblem {
  return unsupported(at, `the tag ${shortTag(tag)} is not allowed; only !!str, !!map and !!seq`);
}

function unresolved(offset: number, anchor: string): MeaningProblem {
  return {
    code: 'YAML_SYNTAX',
    message: `the alias *${anchor} has no anchor before it in this document`,
    offset,
  };
}

function unsupported(offset: number, message: string): MeaningProblem {
  return { code: 'YAML_UNSUPPORTED', message, offset };
}

function shortTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice(18)}` : tag;
}

function offsetOf(node: unknown, fallback = 0): number {
  return (node as Node | null)?.range?.[0] ?? fallback;
}
