import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { PinError } from './errors.js';
import { modelSigningRoot, type ModelFileDigest } from '@aviary/policies/signature';

/** model_signing's default ignores, relative to the model folder (top level only, as it has them). */
export const GIT_PATHS = ['.git', '.gitattributes', '.github', '.gitignore'];
/** Default: 100 000 files. A model folder is a few files; a bound keeps a bad path from walking a disk. */
export const MAX_MODEL_FILES = 100_000;

export type ModelDigest =
  { kind: 'directory'; root: string; files: number } | { kind: 'file'; sha256: string };

/**
 * Digests a model the way OpenSSF model_signing v1.x signs it by default: a folder is every regular
 * file under it except the git paths (and `ignore`, folder-relative: the bundle when it lies
 * inside), sha256 each, combined into the v1.0 root digest; a single file is its sha256. Any
 * symlink is refused, as model_signing refuses it (`allow_symlinks=False`): a link can name content
 * outside the folder that the signature never covered. Errors carry MODEL_DIR_* codes.
 */
export async function digestModel(
  target: string,
  display: string,
  ignore: readonly string[] = [],
): Promise<ModelDigest> {
  const st = await lstatOrFail(target, display);
  if (st.isSymbolicLink()) throw symlink(display);
  if (st.isFile()) return { kind: 'file', sha256: await sha256File(target, display) };
  if (!st.isDirectory())
    throw new PinError('MODEL_DIR_UNREADABLE', `${display} is neither a file nor a folder`);
  const ignored = new Set([...GIT_PATHS, ...ignore]);
  const files: ModelFileDigest[] = [];
  const walk = async (parts: string[]): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(path.join(target, ...parts));
    } catch {
      throw new PinError('MODEL_DIR_UNREADABLE', `cannot list ${join(display, parts)}`);
    }
    for (const name of names.sort()) {
      const rel = [...parts, name];
      const abs = path.join(target, ...rel);
      const s = await lstatOrFail(abs, join(display, rel));
      // model_signing checks every path, ignored ones too, before it ignores them.
      if (s.isSymbolicLink()) throw symlink(join(display, rel));
      if (ignored.has(rel.join('/'))) continue;
      if (s.isDirectory()) await walk(rel);
      else if (s.isFile()) {
        if (files.length >= MAX_MODEL_FILES)
          throw new PinError(
            'MODEL_DIR_UNREADABLE',
            `${display} holds more than ${MAX_MODEL_FILES} files`,
          );
        files.push({ parts: rel, sha256: await sha256File(abs, join(display, rel)) });
      } else
        throw new PinError(
          'MODEL_DIR_UNREADABLE',
          `${join(display, rel)} is a special file (socket, FIFO or device)`,
        );
    }
  };
  await walk([]);
  if (files.length === 0)
    throw new PinError('MODEL_DIR_UNREADABLE', `${display} holds no file to digest`);
  return { kind: 'directory', root: modelSigningRoot(files), files: files.length };
}

async function lstatOrFail(p: string, display: string) {
  try {
    return await lstat(p);
  } catch {
    throw new PinError('MODEL_DIR_UNREADABLE', `cannot read ${display}`);
  }
}

function sha256File(file: string, display: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('error', () => reject(new PinError('MODEL_DIR_UNREADABLE', `cannot read ${display}`)))
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function symlink(display: string): PinError {
  return new PinError(
    'MODEL_DIR_SYMLINK',
    `${display} is a symlink; model_signing does not sign through links, so it is refused`,
  );
}

function join(display: string, parts: readonly string[]): string {
  return parts.length === 0 ? display : `${display}/${parts.join('/')}`;
}
