import { constants } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { SpecError } from '@aviary/policies';

/** Default: 1 MiB. Larger files in an app folder or signature path are refused, not read. */
export const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Resolves `relative` (as written in a spec) against `fromDir` and proves the result stays inside
 * `root` without crossing a symlink. Repository content is hostile: `..` escapes, absolute paths
 * and symlinks out of the tree must never be followed.
 */
export async function resolveInside(
  root: string,
  fromDir: string,
  relative: string,
): Promise<string> {
  if (relative.includes('\0')) throw new SpecError('SPEC_PATH_ESCAPE', 'path contains a NUL byte');
  if (path.isAbsolute(relative))
    throw new SpecError(
      'SPEC_PATH_ESCAPE',
      `"${relative}" is absolute; use a path relative to the spec file`,
    );
  const realRoot = await realpath(root);
  const target = path.resolve(fromDir, relative);
  const rel = path.relative(root, target);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new SpecError('SPEC_PATH_ESCAPE', `"${relative}" points outside the repository`);
  }
  // Check every component, not just the last: a symlinked directory is as good an escape as a file.
  let current = realRoot;
  for (const segment of rel.split(path.sep)) {
    current = path.join(current, segment);
    let st;
    try {
      st = await lstat(current);
    } catch {
      throw new SpecError('SPEC_READ_FAILED', `"${relative}" does not exist`);
    }
    if (st.isSymbolicLink())
      throw new SpecError(
        'SPEC_PATH_ESCAPE',
        `"${relative}" goes through a symlink, which is not allowed`,
      );
  }
  return current;
}

/** Reads a regular file of at most `limit` bytes as UTF-8. */
export async function readBounded(
  file: string,
  display: string,
  limit = MAX_FILE_BYTES,
): Promise<string> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO planted in a checkout must not hang; it is refused just below.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    throw new SpecError('SPEC_READ_FAILED', `cannot read ${display}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new SpecError('SPEC_READ_FAILED', `${display} is not a regular file`);
    if (st.size > limit)
      throw new SpecError(
        'SPEC_READ_FAILED',
        `${display} is ${st.size} bytes; the limit is ${limit}`,
      );
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await handle.read(buf, 0, st.size, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
