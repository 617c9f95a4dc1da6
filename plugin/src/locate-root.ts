import { stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * The repository root inside the CMP: the cmp-server unpacks the repository and runs the command in
 * `<root>/<app path relative to the root>`. Normally that relative path is ARGOCD_APP_SOURCE_PATH;
 * with `--plugin-use-manifest-generate-paths` the repo-server sends only the common root of the
 * manifest-generate-paths, so the working directory ends with just a trailing part of the source
 * path. The root is the working directory minus the longest trailing part of the source path it
 * ends with; when nothing matches, the app folder itself (the most restrictive choice).
 */
export function cmpRoot(cwd: string, sourcePath: string | undefined): string {
  const parts = (sourcePath ?? '').split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) return cwd;
  const cwdParts = cwd.split(path.sep);
  for (let n = Math.min(parts.length, cwdParts.length - 1); n > 0; n--) {
    const want = parts.slice(-n);
    const tail = cwdParts.slice(-n);
    if (tail.every((p, i) => p === want[i]))
      return cwdParts.slice(0, -n).join(path.sep) || path.sep;
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
