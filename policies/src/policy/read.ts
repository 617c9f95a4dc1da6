import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import { mergePolicySets, parsePolicies, type LoadedPolicy } from './load.js';

/** Default: 1 MiB per policy file. */
const MAX_POLICY_BYTES = 1024 * 1024;

/**
 * Reads policies from a file, or from every `*.yaml`/`*.yml` directly inside a folder (sorted, so
 * the set never depends on the filesystem's order). Local files only; nothing is fetched.
 */
export async function readPolicyPath(
  target: string,
  display = target,
): Promise<{ policies: LoadedPolicy[]; diagnostics: Diagnostic[]; warnings: Diagnostic[] }> {
  let files: { abs: string; shown: string }[];
  try {
    const st = await stat(target);
    if (st.isDirectory()) {
      const names = (await readdir(target))
        .filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.'))
        .sort();
      files = [];
      const realDir = await realpath(target);
      for (const n of names) {
        const abs = path.join(target, n);
        // Follow symlinks (a mounted ConfigMap is made of them) only while they stay in the folder.
        const real = await realpath(abs).catch(() => undefined);
        if (real === undefined || !inside(realDir, real)) continue;
        if ((await stat(real)).isFile()) files.push({ abs: real, shown: path.join(display, n) });
      }
    } else {
      files = [{ abs: target, shown: display }];
    }
  } catch {
    return {
      policies: [],
      diagnostics: [{ code: 'POLICY_READ_FAILED', message: 'cannot read policies', file: display }],
      warnings: [],
    };
  }
  const sets: LoadedPolicy[][] = [];
  const diagnostics: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  for (const f of files) {
    let text: string;
    try {
      const st = await stat(f.abs);
      if (st.size > MAX_POLICY_BYTES) throw new Error('too large');
      text = await readFile(f.abs, 'utf8');
    } catch {
      diagnostics.push({
        code: 'POLICY_READ_FAILED',
        message: `cannot read (or larger than ${MAX_POLICY_BYTES} bytes)`,
        file: f.shown,
      });
      continue;
    }
    const parsed = parsePolicies(text, f.shown);
    diagnostics.push(...parsed.diagnostics);
    warnings.push(...parsed.warnings);
    sets.push(parsed.policies);
  }
  const merged = mergePolicySets(sets);
  return {
    policies: merged.policies,
    diagnostics: [...diagnostics, ...merged.diagnostics],
    warnings,
  };
}

function inside(dir: string, target: string): boolean {
  const rel = path.relative(dir, target);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
