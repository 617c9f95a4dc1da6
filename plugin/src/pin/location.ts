import { uriScheme } from '@aviary/policies';
import { PinError } from './errors.js';

/** Schemes KServe's storage initializer reads inside a cluster (v0.20). */
const KSERVE_SCHEMES = new Set([
  's3',
  'gs',
  'azure',
  'https',
  'http',
  'hf',
  'oci',
  'oci+native',
  'pvc',
  'hdfs',
  'webhdfs',
  'modelscope',
  'git',
]);

/** One `--storage-map FROM=TO` flag. */
export interface StorageMapping {
  from: string;
  to: string;
}

export function parseStorageMaps(flags: readonly string[]): StorageMapping[] {
  return flags.map((flag) => {
    const eq = flag.indexOf('=');
    if (eq <= 0 || eq === flag.length - 1)
      throw new PinError(
        'USAGE_INVALID',
        `--storage-map must be FROM=TO, not ${JSON.stringify(flag)}`,
      );
    return { from: flag.slice(0, eq), to: flag.slice(eq + 1) };
  });
}

/**
 * The URI written to the release: `uri` with the longest matching `--storage-map` prefix swapped,
 * which must then be in a scheme KServe can read (`file://` and `mlflow-artifacts:` left
 * unmapped are refused: no pod can read the CI machine's disk or MLflow's proxy). A folder in
 * s3 or gs gets its trailing `/`, which KServe needs to copy a prefix rather than one object.
 */
export function finalUri(uri: string, maps: readonly StorageMapping[], folder: boolean): string {
  const best = [...maps]
    .filter((m) => uri.startsWith(m.from))
    .sort((a, b) => b.from.length - a.from.length)[0];
  let out = best === undefined ? uri : best.to + uri.slice(best.from.length);
  const scheme = uriScheme(out);
  if (scheme === undefined || !KSERVE_SCHEMES.has(scheme) || /\s/.test(out)) {
    throw new PinError(
      'PIN_URI_UNREADABLE',
      `${JSON.stringify(out)} is not in a scheme KServe's storage initializer reads (${[...KSERVE_SCHEMES].join(', ')}); map it with --storage-map FROM=TO`,
    );
  }
  if (folder && (scheme === 's3' || scheme === 'gs') && !out.endsWith('/')) out += '/';
  return out;
}
