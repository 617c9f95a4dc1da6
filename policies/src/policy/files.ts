import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

const POLICY_FILE = /\.ya?ml$/;

/** A policy file: as listed under the path given (what people see), and resolved (what is read). */
export interface PolicyFile {
  path: string;
  real: string;
  /** A link out of the folder: listed so that callers can say it was not read, never read. */
  outside?: true;
}

/**
 * The policy files a path names; the one rule of the CLI and the webhook. A file is itself; a
 * folder gives every regular `*.yaml`/`*.yml` file directly inside it, sorted by name so the set
 * never depends on the filesystem's order. Dotfiles and subfolders are skipped. A symlink is
 * followed only while it resolves inside the folder: a mounted ConfigMap is made of such links
 * (`prod.yaml -> ..data/prod.yaml`), while a link out of the folder would pull a file chosen by
 * whoever wrote the link (a Git author, say) into the policy set; it is listed with `outside` so
 * the loader can warn that it was not read. A link that does not resolve (a
 * ConfigMap swap in progress) is skipped; the next reload sees the new state. Throws when the
 * path itself cannot be read.
 */
export async function listPolicyFiles(target: string): Promise<PolicyFile[]> {
  if (!(await stat(target)).isDirectory()) return [{ path: target, real: target }];
  const folder = await realpath(target);
  const files: PolicyFile[] = [];
  for (const name of (await readdir(target)).sort()) {
    if (name.startsWith('.') || !POLICY_FILE.test(name)) continue;
    const listed = path.join(target, name);
    const real = await realpath(listed).catch(() => undefined);
    if (real === undefined || !(await stat(real).catch(() => undefined))?.isFile()) continue;
    files.push(
      inside(folder, real) ? { path: listed, real } : { path: listed, real, outside: true },
    );
  }
  return files;
}

function inside(dir: string, target: string): boolean {
  const rel = path.relative(dir, target);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
