import path from 'node:path';
import { AviaryError, type Diagnostic } from '@aviary/policies';
import { parseAnalysis, type ModelAnalysis } from '@aviary/policies/analysis';
import { readBounded, resolveInside } from '../source/safe-path.js';

/** A ModelAnalysis as a release names it: loaded, or the diagnostics that say why not. */
export type LoadedAnalysis =
  { analysis: ModelAnalysis; file: string } | { analysis?: undefined; diagnostics: Diagnostic[] };

/**
 * Loads the ModelAnalysis that `rollout.analysis` names, relative to the release file. The path is
 * repository content, so it must stay inside the repository and cross no symlink; one file read
 * per pass however many releases share it.
 */
export function analysisLoader(root: string) {
  const cache = new Map<string, Promise<LoadedAnalysis>>();
  return (releaseFile: string, releaseLine: number, relative: string): Promise<LoadedAnalysis> => {
    const fromDir = path.join(root, path.dirname(releaseFile));
    const key = path.resolve(fromDir, relative);
    let loaded = cache.get(key);
    if (loaded === undefined) {
      loaded = load(root, fromDir, relative, releaseFile, releaseLine);
      cache.set(key, loaded);
    }
    return loaded;
  };
}

async function load(
  root: string,
  fromDir: string,
  relative: string,
  releaseFile: string,
  releaseLine: number,
): Promise<LoadedAnalysis> {
  let absolute: string;
  let text: string;
  try {
    absolute = await resolveInside(root, fromDir, relative);
    text = await readBounded(absolute, relative);
  } catch (err) {
    const why = err instanceof AviaryError ? err.message : String(err);
    return {
      diagnostics: [
        {
          code: 'ANALYSIS_PATH',
          message: `spec.rollout.analysis: ${why}`,
          file: releaseFile,
          line: releaseLine,
          column: 1,
        },
      ],
    };
  }
  const file = path.relative(root, absolute).split(path.sep).join('/');
  const { analysis, diagnostics } = parseAnalysis(text, file);
  return analysis === undefined ? { diagnostics } : { analysis, file };
}
