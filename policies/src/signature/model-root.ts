import { createHash } from 'node:crypto';

/** One file of a model: its path components relative to the model folder and its sha256. */
export interface ModelFileDigest {
  parts: readonly string[];
  /** Lowercase hex sha256 of the file's bytes. */
  sha256: string;
}

/**
 * The OpenSSF model-signing v1.0 root digest of a set of files: sha256 over the raw sha256 of
 * every file, files in the order model_signing lists them (paths compared component by component,
 * as Python compares them). The verifier recomputes it for compat statements and `aviary pin`
 * computes it from a model folder, so both read the format the same way. Lowercase hex.
 */
export function modelSigningRoot(files: readonly ModelFileDigest[]): string {
  const sorted = [...files].sort((a, b) => comparePaths(a.parts, b.parts));
  const hash = createHash('sha256');
  for (const f of sorted) hash.update(Buffer.from(f.sha256, 'hex'));
  return hash.digest('hex');
}

/** model_signing's path order; 0 means the same path. */
export function comparePaths(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareCodePoints(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

// Python compares str by code point; JS `<` compares UTF-16 units, which differ above U+FFFF.
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
