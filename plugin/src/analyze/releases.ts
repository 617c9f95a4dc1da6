import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  SpecError,
  parseYamlStream,
  validateModelRelease,
  type Diagnostic,
  type ModelRelease,
} from '@aviary/policies';
import { readBounded } from '../source/safe-path.js';

/** A ModelRelease found under the analysed folder, with what an in-place edit needs. */
export interface FoundRelease {
  /** Repository-relative path, `/`-separated. */
  file: string;
  absolute: string;
  /** The whole file, as read: edits splice into it. */
  text: string;
  /** The document's index in the file's stream. */
  index: number;
  line: number;
  release: ModelRelease;
}

const MANIFEST = /\.(ya?ml|json)$/;
/** A bound on the walk: a repository is hostile input, and a pass should never crawl forever. */
const MAX_FILES = 5000;

/**
 * Every ModelRelease in the manifest files under `dir` (subfolders included, dot-folders and
 * symlinks skipped, names in byte order so reports keep one order), each validated. A file that
 * does not read, or a release that is not valid, is reported with its position: the pass cannot
 * decide for what it cannot read.
 */
export async function findReleases(
  root: string,
  dir: string,
): Promise<{ releases: FoundRelease[]; diagnostics: Diagnostic[] }> {
  const releases: FoundRelease[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const absolute of await manifestFiles(dir)) {
    const file = path.relative(root, absolute).split(path.sep).join('/');
    const text = await readBounded(absolute, file);
    const parsed = parseYamlStream(text, file);
    const mentioned = parsed.documents.some(
      (d) => (d.value as { kind?: unknown } | null)?.kind === 'ModelRelease',
    );
    // A file that does not parse may hold a release the pass would then silently skip.
    if (parsed.diagnostics.length > 0) {
      diagnostics.push(...parsed.diagnostics);
      continue;
    }
    if (!mentioned) continue;
    parsed.documents.forEach((doc, index) => {
      if ((doc.value as { kind?: unknown } | null)?.kind !== 'ModelRelease') return;
      const checked = validateModelRelease(doc, file);
      if (checked.release === undefined) diagnostics.push(...checked.diagnostics);
      else releases.push({ file, absolute, text, index, line: doc.line, release: checked.release });
    });
  }
  return { releases, diagnostics };
}

async function manifestFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    const names = (await readdir(folder)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const full = path.join(folder, name);
      const st = await lstat(full);
      if (st.isDirectory()) await walk(full);
      else if (st.isFile() && MANIFEST.test(name)) out.push(full);
      if (out.length > MAX_FILES)
        throw new SpecError('SPEC_READ_FAILED', `more than ${MAX_FILES} manifest files to analyse`);
    }
  };
  await walk(dir);
  return out;
}
