import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import { listPolicyFiles } from './files.js';
import { parsePolicies, type LoadedPolicy } from './load.js';

/** Default: 1 MiB per policy file. */
const MAX_POLICY_BYTES = 1024 * 1024;

/**
 * Reads and parses the policy files a path names ({@link listPolicyFiles}), each shown in
 * diagnostics under `shown`. Local files only; nothing is fetched. Not merged: the caller merges
 * every path of a set at once, so a duplicate name is reported once wherever it is.
 */
export async function readPolicyPath(
  target: string,
  shown: string,
): Promise<{ policies: LoadedPolicy[]; diagnostics: Diagnostic[]; warnings: Diagnostic[] }> {
  const policies: LoadedPolicy[] = [];
  const diagnostics: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const files = await listPolicyFiles(target).catch(() => undefined);
  if (files === undefined) {
    diagnostics.push({ code: 'POLICY_READ_FAILED', message: 'cannot read policies', file: shown });
    return { policies, diagnostics, warnings };
  }
  for (const f of files) {
    const file = f.path === target ? shown : path.join(shown, path.basename(f.path));
    if (f.outside) {
      // Not silent: a policy someone expects to apply is not in the set.
      warnings.push({
        code: 'POLICY_FILE_SKIPPED',
        message: 'a symlink that resolves outside the policy folder is not read',
        file,
      });
      continue;
    }
    let text: string;
    try {
      if ((await stat(f.real)).size > MAX_POLICY_BYTES) throw new Error('too large');
      text = await readFile(f.real, 'utf8');
    } catch {
      diagnostics.push({
        code: 'POLICY_READ_FAILED',
        message: `cannot read (or larger than ${MAX_POLICY_BYTES} bytes)`,
        file,
      });
      continue;
    }
    const parsed = parsePolicies(text, file);
    policies.push(...parsed.policies);
    diagnostics.push(...parsed.diagnostics);
    warnings.push(...parsed.warnings);
  }
  return { policies, diagnostics, warnings };
}
