import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, derived from this file so tests run from any working directory. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The steering folder beside the project: KServe CRDs, Sigstore vectors, references. */
export const SHARED = path.resolve(REPO, '..', 'shared');
export const EXAMPLES = path.join(REPO, 'deploy/examples/gitops');
export const FIXTURES = path.join(REPO, 'test/fixtures');
export const AVIARY_BIN = path.join(REPO, 'plugin/bin/aviary.js');
