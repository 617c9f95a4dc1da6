import path from 'node:path';
import { SpecError, parseYamlStream, type Diagnostic } from '@aviary/policies';
import { gitRoot } from '../locate-root.js';
import { renderSources } from '../render/app.js';
import type { SourceDocument } from './app-folder.js';
import { readBounded } from './safe-path.js';

export interface LoadedObject {
  object: Record<string, unknown>;
  /** Where it came from: `file:line`. */
  origin: string;
}

/**
 * Reads InferenceServices from a manifest or ModelRelease file, rendering ModelReleases first
 * exactly as the plugin would, so `check` judges what Argo CD would apply.
 */
export async function readObjectsFromFile(
  file: string,
  cwd: string,
  defaultMode: 'Knative' | 'Standard' = 'Knative',
): Promise<{ objects: LoadedObject[]; diagnostics: Diagnostic[] }> {
  const absolute = path.resolve(cwd, file);
  const root = await gitRoot(path.dirname(absolute));
  const shown = path.relative(cwd, absolute) || file;
  let text: string;
  try {
    text = await readBounded(absolute, shown);
  } catch (err) {
    if (err instanceof SpecError)
      return { objects: [], diagnostics: [{ code: err.code, message: err.message, file: shown }] };
    throw err;
  }
  const parsed = parseYamlStream(text, shown);
  const sources: SourceDocument[] = parsed.documents.map((doc) => ({ file: shown, absolute, doc }));
  const result = await renderSources(sources, { root, defaultMode }, [...parsed.diagnostics]);
  if (result.diagnostics.length > 0) return { objects: [], diagnostics: result.diagnostics };
  const objects: LoadedObject[] = [];
  for (const o of result.objects as Record<string, unknown>[]) {
    const release = result.releases.find((x) => x.object === o);
    objects.push({ object: o, origin: release ? `${release.file}:${release.line}` : shown });
  }
  return { objects, diagnostics: [] };
}
