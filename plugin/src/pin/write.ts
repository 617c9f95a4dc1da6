import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes `text` to `file` atomically (a temporary file beside it, then rename), keeping the
 * permissions of the file it replaces: a reader (Argo CD, git) sees the old or the new content,
 * never half of it.
 */
export async function writeAtomic(file: string, text: string): Promise<void> {
  let mode = 0o644;
  try {
    mode = (await stat(file)).mode & 0o7777;
  } catch {
    await mkdir(path.dirname(file), { recursive: true });
  }
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    await writeFile(tmp, text, { mode, flag: 'wx' });
    await chmod(tmp, mode);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
