import { SignatureFailure, fail } from './errors.js';

/** A bundle larger than this is refused before any parsing or hashing of its content. */
export const MAX_BUNDLE_BYTES = 1024 * 1024;
/** Real bundles nest about 6 levels; the bound keeps hostile input away from recursive code. */
const MAX_DEPTH = 32;

/**
 * Turns whatever the caller holds (JSON text, bytes, or an already parsed object) into JSON text
 * of at most {@link MAX_BUNDLE_BYTES}, and the plain value parsed back from that text. Verifying
 * the re-parsed copy means getters, proxies or `toJSON` on the caller's object cannot show one
 * thing to the hash and another to the checks.
 */
export function normalizeBundle(bundle: unknown): { text: string; value: unknown } {
  let text: string;
  if (typeof bundle === 'string' || bundle instanceof Uint8Array) {
    if (bundle.length > MAX_BUNDLE_BYTES) tooLarge();
    text = typeof bundle === 'string' ? bundle : decodeUtf8(bundle);
  } else {
    // Stringifying a 10 MB object costs more than the whole verification; measure first, and
    // stop measuring as soon as the limit is passed.
    try {
      if (estimateJsonLength(bundle) > MAX_BUNDLE_BYTES) tooLarge();
      const json = JSON.stringify(bundle) as string | undefined;
      if (json === undefined) fail('SIG_BUNDLE_MALFORMED', 'bundle is not a JSON value');
      text = json;
    } catch (e) {
      if (e instanceof SignatureFailure) throw e;
      fail('SIG_BUNDLE_MALFORMED', 'bundle cannot be serialized as JSON');
    }
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_BUNDLE_BYTES) tooLarge();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    fail('SIG_BUNDLE_MALFORMED', 'bundle is not valid JSON');
  }
  if (maxDepth(value) > MAX_DEPTH) fail('SIG_BUNDLE_MALFORMED', 'bundle is nested too deeply');
  return { text, value };
}

function tooLarge(): never {
  fail('SIG_BUNDLE_TOO_LARGE', `bundle is larger than ${MAX_BUNDLE_BYTES} bytes`);
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    fail('SIG_BUNDLE_MALFORMED', 'bundle is not UTF-8 text');
  }
}

/**
 * A lower bound of the length `JSON.stringify` would produce, computed iteratively and abandoned
 * once it passes the limit, so its cost is bounded by the limit rather than by the input (a
 * cyclic object simply grows past the limit).
 */
function estimateJsonLength(root: unknown): number {
  let total = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0 && total <= MAX_BUNDLE_BYTES) {
    const v = stack.pop();
    if (typeof v === 'string') total += v.length + 2;
    else if (typeof v === 'number') total += Number.isFinite(v) ? String(v).length : 4;
    else if (typeof v === 'boolean' || v === null) total += String(v).length;
    else if (typeof v === 'bigint') fail('SIG_BUNDLE_MALFORMED', 'bundle holds a BigInt');
    else if (Array.isArray(v)) {
      total += v.length === 0 ? 2 : 1 + v.length; // brackets and commas
      for (let i = 0; i < v.length && total <= MAX_BUNDLE_BYTES; i++) stack.push(v[i]);
    } else if (typeof v === 'object') {
      let members = 0;
      for (const [k, child] of Object.entries(v)) {
        if (child === undefined || typeof child === 'function' || typeof child === 'symbol')
          continue;
        members++;
        total += k.length + 4; // quotes, colon, comma
        stack.push(child);
        if (total > MAX_BUNDLE_BYTES) break;
      }
      total += members === 0 ? 2 : 1;
    }
  }
  return total;
}

function maxDepth(root: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_DEPTH) return deepest;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}
