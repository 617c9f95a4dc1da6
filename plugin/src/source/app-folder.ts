import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { SpecError, parseYamlStream, type Diagnostic, type ParsedDocument } from '@aviary/policies';
import { readBounded } from './safe-path.js';

export interface SourceDocument {
  /** Path shown to users, relative to the repository root. */
  file: string;
  /** Absolute path on disk. */
  absolute: string;
  doc: ParsedDocument;
}

const MANIFEST = /\.(ya?ml|json)$/;
/** Default: 500 manifest files per app folder. */
export const MAX_FILES = 500;

/**
 * Reads the manifest files directly inside `appDir` (not subfolders, like an Argo CD directory
 * app), in byte order of their names so output order never depends on the filesystem. Dotfiles,
 * including Argo CD's `.argocd-source*.yaml`, are skipped. Symlinked files are refused.
 */
export async function readAppFolder(
  appDir: string,
  root: string,
): Promise<{ documents: SourceDocument[]; diagnostics: Diagnostic[] }> {
  let names: string[];
  try {
    names = await readdir(appDir);
  } catch {
    throw new SpecError('SPEC_READ_FAILED', `cannot read the folder ${display(root, appDir)}`);
  }
  const files = names.filter((n) => MANIFEST.test(n) && !n.startsWith('.')).sort(byteOrder);
  if (files.length > MAX_FILES) {
    throw new SpecError(
      'SPEC_READ_FAILED',
      `${files.length} manifest files in one folder; the limit is ${MAX_FILES}`,
    );
  }
  const documents: SourceDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const name of files) {
    const absolute = path.join(appDir, name);
    const file = display(root, absolute);
    const st = await lstat(absolute);
    if (st.isSymbolicLink()) {
      diagnostics.push({
        code: 'SPEC_SYMLINK',
        message: 'manifest files may not be symlinks',
        file,
        line: 1,
        column: 1,
      });
      continue;
    }
    if (!st.isFile()) continue;
    let text: string;
    try {
      text = await readBounded(absolute, file);
    } catch (err) {
      diagnostics.push({
        code: 'SPEC_READ_FAILED',
        message: (err as Error).message,
        file,
        line: 1,
        column: 1,
      });
      continue;
    }
    const parsed = parseYamlStream(text, file);
    diagnostics.push(...parsed.diagnostics);
    for (const doc of parsed.documents) documents.push({ file, absolute, doc });
  }
  return { documents, diagnostics };
}

function display(root: string, p: string): string {
  const rel = path.relative(root, p);
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
