import { fileURLToPath } from 'node:url';
import { EXIT } from '../../io.js';
import { PinError } from '../errors.js';
import type { ModelDigest } from '../model-digest.js';
import { digestProxied } from './artifacts.js';
import { registryClient } from './client.js';

export interface RegistryLocation {
  /** The artifact location MLflow gives for the version (before --storage-map). */
  uri: string;
  /** `models:/NAME/VERSION`: what was pinned, an alias resolved once. */
  source: string;
  /** A registered model version is a folder of artifacts. */
  folder: true;
  /** The registry's own copy when it is a folder on this machine (`file://` artifact root). */
  localCopy?: string;
  /** The digest of the registry's own copy read through its artifact proxy (`mlflow-artifacts:`). */
  copy?: ModelDigest;
}

const NAME = '[^/@\\s][^@\\s]{0,255}';
const BY_VERSION = new RegExp(`^models:/(${NAME})/([1-9][0-9]{0,9})$`);
const BY_ALIAS = new RegExp(`^models:/(${NAME})@([A-Za-z0-9_-]{1,255})$`);

/**
 * Resolves `models:/NAME/VERSION` or `models:/NAME@ALIAS` through the registry's REST API: the
 * alias once (`registered-models/alias`), the version (`model-versions/get`), and its location
 * (`model-versions/get-download-uri`; in MLflow 3 a version's `source` is often `models:/m-…`,
 * not a location). `latest` and stages are refused: they move, and CI must pin what it tested.
 */
export async function resolveRegistry(
  ref: string,
  trackingUri: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<RegistryLocation> {
  const byVersion = BY_VERSION.exec(ref);
  const byAlias = BY_ALIAS.exec(ref);
  if (byVersion === null && byAlias === null)
    throw new PinError(
      'MLFLOW_REF_INVALID',
      `${JSON.stringify(ref)} is not models:/NAME/VERSION or models:/NAME@ALIAS (latest and stages move: use an alias)`,
    );
  const uri = trackingUri ?? env['MLFLOW_TRACKING_URI'];
  if (uri === undefined || uri === '')
    throw new PinError('USAGE_INVALID', '--from needs --mlflow URL or MLFLOW_TRACKING_URI');
  const client = registryClient(uri, env);
  const name = (byVersion ?? byAlias)![1]!;
  let version = byVersion?.[2];
  if (byAlias !== null) {
    const r = await client.get('registered-models/alias', { name, alias: byAlias[2]! });
    version = versionOf(r, 'registered-models/alias');
  }
  const got = await client.get('model-versions/get', { name, version: version! });
  if (versionOf(got, 'model-versions/get') !== version)
    throw new PinError('MLFLOW_BAD_RESPONSE', 'model-versions/get answered another version', {
      exit: EXIT.UNAVAILABLE,
    });
  const status = (got['model_version'] as Record<string, unknown>)['status'];
  if (status !== undefined && status !== 'READY')
    throw new PinError(
      'MLFLOW_NOT_READY',
      `models:/${name}/${version} is ${JSON.stringify(status)}, not READY`,
    );
  const dl = await client.get('model-versions/get-download-uri', { name, version: version });
  const location = dl['artifact_uri'];
  if (typeof location !== 'string' || location === '' || location.length > 2048)
    throw new PinError('MLFLOW_BAD_RESPONSE', 'get-download-uri gave no artifact_uri', {
      exit: EXIT.UNAVAILABLE,
    });
  let localCopy: string | undefined;
  if (location.startsWith('file://')) {
    try {
      localCopy = fileURLToPath(location);
    } catch {
      localCopy = undefined;
    }
  }
  const copy = await digestProxied(client, location);
  return {
    uri: location,
    source: `models:/${name}/${version}`,
    folder: true,
    ...(localCopy !== undefined ? { localCopy } : {}),
    ...(copy !== undefined ? { copy } : {}),
  };
}

function versionOf(answer: Record<string, unknown>, where: string): string {
  const mv = answer['model_version'];
  const v =
    mv !== null && typeof mv === 'object' ? (mv as Record<string, unknown>)['version'] : undefined;
  if (typeof v !== 'string' || !/^[1-9][0-9]{0,9}$/.test(v))
    throw new PinError('MLFLOW_BAD_RESPONSE', `${where} answered no model_version.version`, {
      exit: EXIT.UNAVAILABLE,
    });
  return v;
}
