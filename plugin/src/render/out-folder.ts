import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AviaryError } from '@aviary/policies';
import { emitYamlStream } from '../emit.js';

class RenderOutError extends AviaryError {}

/**
 * The file name of one rendered object: `<kind>_<group>_<namespace>_<name>.yaml`, lowercased.
 * Kubernetes names, namespaces, groups and kinds never hold `_`, so the name is unambiguous, and
 * it depends on the object alone, so a re-render of the same input gives the same files.
 */
export function objectFileName(o: Record<string, unknown>): string {
  const meta = (o['metadata'] ?? {}) as Record<string, unknown>;
  const apiVersion = String(o['apiVersion']);
  const group = apiVersion.includes('/')
    ? apiVersion.slice(0, apiVersion.lastIndexOf('/'))
    : 'core';
  const ns = typeof meta['namespace'] === 'string' ? meta['namespace'] : '';
  const name = String(meta['name'] ?? meta['generateName']);
  return `${[String(o['kind']), group, ns, name].join('_').toLowerCase()}.yaml`;
}

/**
 * Writes one file per object into `out`, replacing the folder as a whole: the files go to a new
 * folder beside it, which then takes its place by rename, so a reader (git add, `flux push
 * artifact`) sees the old set or the new set, never a mix and never a stale file left over from a
 * removed object. An existing `out` must look like an earlier output (only `.yaml` files) and must
 * not hold the sources: anything else is refused rather than deleted.
 */
export async function writeOutFolder(
  out: string,
  objects: readonly Record<string, unknown>[],
  sources: readonly string[],
): Promise<string[]> {
  for (const s of sources) {
    const rel = path.relative(out, s);
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel)))
      throw unsafe(`--out ${out} holds the sources (${s}); choose a folder of its own`);
  }
  await checkReplaceable(out);
  const files = new Map<string, string>();
  for (const o of objects) {
    const name = objectFileName(o);
    if (files.has(name))
      throw unsafe(`two objects would both be written to ${name}; their names differ only by case`);
    files.set(name, emitYamlStream([o]));
  }
  const parent = path.dirname(out);
  await mkdir(parent, { recursive: true });
  const tag = randomBytes(6).toString('hex');
  const fresh = path.join(parent, `.${path.basename(out)}.new-${tag}`);
  const old = path.join(parent, `.${path.basename(out)}.old-${tag}`);
  await mkdir(fresh);
  try {
    for (const [name, text] of [...files].sort(([a], [b]) => (a < b ? -1 : 1)))
      await writeFile(path.join(fresh, name), text, { flag: 'wx' });
    let had = true;
    try {
      await rename(out, old);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      had = false;
    }
    await rename(fresh, out);
    if (had) await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(fresh, { recursive: true, force: true });
    throw err;
  }
  return [...files.keys()].sort();
}

async function checkReplaceable(out: string): Promise<void> {
  let st;
  try {
    st = await lstat(out);
  } catch {
    return;
  }
  if (!st.isDirectory()) throw unsafe(`--out ${out} exists and is not a folder`);
  for (const name of await readdir(out)) {
    const s = await lstat(path.join(out, name));
    if (!s.isFile() || !name.endsWith('.yaml'))
      throw unsafe(
        `--out ${out} holds ${name}, which render does not write; refusing to replace the folder`,
      );
  }
}

function unsafe(message: string): RenderOutError {
  return new RenderOutError('RENDER_OUT_UNSAFE', message);
}
