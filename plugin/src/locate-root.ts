import { stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * The repository root inside the CMP: the cmp-server unpacks the repository and runs the command in
 * `<root>/<ARGOCD_APP_SOURCE_PATH>`, so the root is the working directory minus that suffix.
 */
export function cmpRoot(cwd: string, sourcePath: string | undefined): string {
  const rel = (sourcePath ?? '').replace(/^\.?\/+/, '').replace(/\/+$/, '');
  if (rel === '' || rel === '.') return cwd;
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return cwd;
  const cwdParts = cwd.split(path.sep);
  const tail = cwdParts.slice(-parts.length);
  if (tail.length === parts.length && tail.every((p, i) => p === parts[i])) {
    return cwdParts.slice(0, -parts.length).join(path.sep) || path.sep;
  }
  return cwd;
}

/** Outside Argo CD: the nearest ancestor holding `.git`, else the folder itself. */
export async function gitRoot(dir: string): Promise<string> {
  let current = path.resolve(dir);
  for (;;) {
    try {
      await stat(path.join(current, '.git'));
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return path.resolve(dir);
      current = parent;
    }
  }
}
