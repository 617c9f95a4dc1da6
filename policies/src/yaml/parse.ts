import {
  LineCounter,
  isMap,
  isNode,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Document,
} from 'yaml';
import type { CodeIn } from '../codes.js';
import type { Diagnostic } from '../errors.js';
import { MAX_OBJECT_DEPTH } from '../object.js';
import { checkMeaning } from './meaning.js';
import { KUBERNETES_READ } from './schema.js';

/**
 * Limits on hostile YAML. Repository content and policy files are attacker-controlled, so alias
 * expansion (billion laughs), document count and nesting depth are all bounded.
 */
export const YAML_LIMITS = Object.freeze({
  /** Default: 1 MiB. A ModelRelease is a few hundred bytes; manifests in an app folder stay small. */
  maxBytes: 1024 * 1024,
  /** Default: 50. Expanded alias nodes allowed per document (yaml's own default is 100). */
  maxAliasCount: 50,
  /** Default: 200 documents per file. */
  maxDocuments: 200,
  /** Levels of nesting; Kubernetes objects are far shallower. */
  maxDepth: MAX_OBJECT_DEPTH,
});

export interface ParsedDocument {
  /** Plain JSON-compatible value of the document. */
  value: unknown;
  /** 1-based line where the document's content starts. */
  line: number;
  /** Resolve a JSON path inside this document to a 1-based line and column. */
  locate(path: readonly (string | number)[]): { line: number; column: number };
}

export interface ParseResult {
  documents: ParsedDocument[];
  diagnostics: Diagnostic[];
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parses a YAML (or JSON) stream the way kubectl and Argo CD read it (YAML 1.1 as go-yaml v2 has
 * it; see README.md here), with strict settings: duplicate keys, syntax errors, alias bombs, deep
 * nesting, prototype-polluting keys and anything without one JSON meaning each become a positioned
 * diagnostic. Never throws on bad input.
 */
export function parseYamlStream(text: string, file: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  if (Buffer.byteLength(text, 'utf8') > YAML_LIMITS.maxBytes) {
    diagnostics.push({
      code: 'YAML_TOO_LARGE',
      message: `file is larger than ${YAML_LIMITS.maxBytes} bytes`,
      file,
      line: 1,
      column: 1,
    });
    return { documents: [], diagnostics };
  }
  const lineCounter = new LineCounter();
  const pos = (offset: number): { line: number; column: number } => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  let docs: Document.Parsed[];
  try {
    const parsed = parseAllDocuments(text, {
      ...KUBERNETES_READ,
      lineCounter,
      uniqueKeys: true,
      strict: true,
      prettyErrors: false,
    });
    docs = Array.isArray(parsed) ? parsed : [];
    if (!Array.isArray(parsed)) {
      // An empty stream parses to an EmptyStream object; nothing to report.
      return { documents: [], diagnostics };
    }
  } catch (err) {
    diagnostics.push({ code: 'YAML_SYNTAX', message: describe(err), file, line: 1, column: 1 });
    return { documents: [], diagnostics };
  }
  if (docs.length > YAML_LIMITS.maxDocuments) {
    diagnostics.push({
      code: 'YAML_TOO_MANY_DOCUMENTS',
      message: `file holds ${docs.length} documents; at most ${YAML_LIMITS.maxDocuments} are read`,
      file,
      line: 1,
      column: 1,
    });
    return { documents: [], diagnostics };
  }

  const documents: ParsedDocument[] = [];
  for (const doc of docs) {
    const before = diagnostics.length;
    for (const e of doc.errors) {
      diagnostics.push({
        code: e.code === 'DUPLICATE_KEY' ? 'YAML_DUPLICATE_KEY' : 'YAML_SYNTAX',
        message: firstLine(e.message),
        file,
        ...pos(e.pos[0]),
      });
    }
    if (diagnostics.length > before) continue;
    const meaning = checkMeaning(doc, YAML_LIMITS.maxDepth);
    if (meaning !== undefined) {
      diagnostics.push({
        code: meaning.code,
        message: meaning.message,
        file,
        ...pos(meaning.offset),
      });
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount });
    } catch (err) {
      const start = doc.contents?.range?.[0] ?? 0;
      const resource = err instanceof Error && /excessive alias/i.test(err.message);
      diagnostics.push({
        code: resource ? 'YAML_ALIAS_LIMIT' : 'YAML_SYNTAX',
        message: resource
          ? `aliases expand beyond the limit of ${YAML_LIMITS.maxAliasCount} nodes`
          : describe(err),
        file,
        ...pos(start),
      });
      continue;
    }
    const shapeProblem = checkShape(value, 0);
    if (shapeProblem !== undefined) {
      const node = doc.getIn(shapeProblem.path, true);
      const offset = isNode(node) && node.range ? node.range[0] : (doc.contents?.range?.[0] ?? 0);
      diagnostics.push({
        code: shapeProblem.code,
        message: shapeProblem.message,
        file,
        ...pos(offset),
      });
      continue;
    }
    const contentStart = doc.contents?.range?.[0] ?? doc.range[0];
    documents.push({
      value,
      line: pos(contentStart).line,
      locate(path) {
        // Point at the key of a map entry (the start of its line) or at a list item; when the
        // path does not exist, fall back to the nearest ancestor that does.
        for (let n = path.length; n > 0; n--) {
          const parent = doc.getIn(path.slice(0, n - 1), true);
          const seg = path[n - 1];
          if (isMap(parent)) {
            const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === seg);
            if (pair && isNode(pair.key) && pair.key.range) return pos(pair.key.range[0]);
          } else if (isSeq(parent) && typeof seg === 'number') {
            const item = parent.items[seg];
            if (isNode(item) && item.range) return pos(item.range[0]);
          }
        }
        return pos(contentStart);
      },
    });
  }
  return { documents, diagnostics };
}

interface ShapeProblem {
  code: CodeIn<'yaml'>;
  message: string;
  path: (string | number)[];
}

function checkShape(
  value: unknown,
  depth: number,
  path: (string | number)[] = [],
): ShapeProblem | undefined {
  if (depth > YAML_LIMITS.maxDepth) {
    return {
      code: 'YAML_TOO_DEEP',
      message: `nesting deeper than ${YAML_LIMITS.maxDepth} levels`,
      path,
    };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = checkShape(value[i], depth + 1, [...path, i]);
      if (p) return p;
    }
  } else if (value !== null && typeof value === 'object') {
    // Anything but a plain object (a Date, Uint8Array, Map, Set...) has no JSON form. checkMeaning
    // refuses what produces them first; this is the last guard before the value is used.
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      return { code: 'YAML_UNSUPPORTED', message: 'only JSON-compatible values are allowed', path };
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        return {
          code: 'YAML_FORBIDDEN_KEY',
          message: `the key "${key}" is not allowed`,
          path: [...path, key],
        };
      }
      const p = checkShape((value as Record<string, unknown>)[key], depth + 1, [...path, key]);
      if (p) return p;
    }
  } else if (
    !(value === null || typeof value === 'string' || typeof value === 'boolean') &&
    !(typeof value === 'number' && Number.isFinite(value))
  ) {
    return { code: 'YAML_UNSUPPORTED', message: 'only JSON-compatible values are allowed', path };
  }
  return undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function describe(err: unknown): string {
  return firstLine(err instanceof Error ? err.message : String(err));
}
