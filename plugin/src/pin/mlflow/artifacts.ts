import { modelSigningRoot, type ModelFileDigest } from '@aviary/policies/signature';
import { EXIT } from '../../io.js';
import { PinError } from '../errors.js';
import { GIT_PATHS, MAX_MODEL_FILES, type ModelDigest } from '../model-digest.js';
import type { RegistryClient } from './client.js';

/**
 * Digests the registry's own copy of a version behind MLflow's artifact proxy
 * (`mlflow-artifacts:/…`), the way model_signing digests a folder (same ignores, same order): each
 * file is streamed through sha256, nothing is stored. Undefined when the location is not proxied
 * or the folder lists nothing (then other digest sources must serve).
 */
export async function digestProxied(
  client: RegistryClient,
  location: string,
): Promise<ModelDigest | undefined> {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(location);
  if (m === null) return undefined;
  const top = m[1]!.replace(/\/+$/, '');
  const files: ModelFileDigest[] = [];
  const walk = async (parts: string[]): Promise<void> => {
    const listing = await client.listArtifacts([top, ...parts].join('/'));
    const entries = listing['files'] ?? [];
    if (!Array.isArray(entries)) throw bad('an artifact listing without a files array');
    for (const e of entries as unknown[]) {
      const entry = (e ?? {}) as Record<string, unknown>;
      const name = entry['path'];
      // The proxy lists names relative to the folder: anything else could walk elsewhere.
      if (
        typeof name !== 'string' ||
        name === '' ||
        name === '.' ||
        name === '..' ||
        name.includes('/')
      )
        throw bad(`an artifact listing names ${JSON.stringify(name)}`);
      const rel = [...parts, name];
      if (parts.length === 0 && GIT_PATHS.includes(name)) continue;
      if (entry['is_dir'] === true) await walk(rel);
      else {
        if (files.length >= MAX_MODEL_FILES)
          throw bad(`the registry's copy holds more than ${MAX_MODEL_FILES} files`);
        files.push({ parts: rel, sha256: await client.hashArtifact([top, ...rel].join('/')) });
      }
    }
  };
  await walk([]);
  return files.length === 0
    ? undefined
    : { kind: 'directory', root: modelSigningRoot(files), files: files.length };
}

function bad(message: string): PinError {
  return new PinError('MLFLOW_BAD_RESPONSE', message, { exit: EXIT.UNAVAILABLE });
}
