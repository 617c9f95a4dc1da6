import type { Finding } from '../finding.js';
import { isObject, objectAt, type Obj } from '../object.js';
import type { Code } from '../codes.js';
import { internalKeyProblems } from './internal-keys.js';

/**
 * Where KServe v0.20 downloads models from for one InferenceService, and which location serves,
 * read the way its defaulter, validator and reconcilers read the object (the source notes are in
 * `./MODEL-LOCATIONS.md`). Only the fields KServe turns into a download count; fields it ignores
 * are never looked at, so they cannot sway a verdict. What cannot be read exactly (two locations
 * in one component, a location that depends on a cluster secret) is reported as a problem, and
 * every rule denies it.
 */

export type DeploymentMode = 'Knative' | 'Standard';

export interface ModelLocation {
  /** The field, e.g. `spec.predictor.model.storageUri`. */
  path: string;
  uri: string;
}

export interface ComponentModel {
  /** `predictor`, `transformer` or `explainer`. */
  name: string;
  /** The single location KServe hands the storage initializer, when there is one. */
  serving?: ModelLocation;
  /** Knative: the component's canaryTrafficPercent, as found. */
  share?: { path: string; value: unknown };
}

export interface CanaryEntry {
  path: string;
  name?: string;
  /** The location the entry serves: its own, or the stable predictor's when it names none. */
  model?: ModelLocation;
  traffic: unknown;
}

export interface Reading {
  mode: DeploymentMode;
  components: ComponentModel[];
  /** Standard-mode `spec.canary[]` entries; always empty in the Knative reading. */
  canaries: CanaryEntry[];
  /** Every location a pod downloads, serving or not (`storageUris[]` entries too). */
  locations: ModelLocation[];
  problems: Finding[];
}

/** The framework keys KServe's defaulter folds into `model`, in the order it looks for them. */
export const FRAMEWORK_KEYS = [
  'sklearn',
  'tensorflow',
  'xgboost',
  'pytorch',
  'triton',
  'onnx',
  'huggingface',
  'pmml',
  'lightgbm',
  'paddle',
] as const;
const CUSTOM_CONTAINER = 'kserve-container';

/** Collects locations and problems while one reading is built. */
class Collector {
  readonly locations: ModelLocation[] = [];
  readonly problems: Finding[] = [];

  problem(code: Code, path: string, message: string): void {
    this.problems.push({ code, path, message });
  }

  /** A location value as found: a non-empty string, or a problem. */
  location(path: string, value: unknown): ModelLocation | undefined {
    if (typeof value === 'string' && value !== '') return { path, uri: value };
    this.problem('MODEL_URI_INVALID', path, 'a model location must be a non-empty string');
    return undefined;
  }
}

/** One implementation block (`model`, `sklearn`, `art`…): `storageUri` or `storage.path`. */
function implementationLocation(impl: Obj, path: string, c: Collector): ModelLocation | undefined {
  const storage = objectAt(impl['storage']);
  const hasUri = impl['storageUri'] !== undefined;
  const hasPath = storage['path'] !== undefined;
  if (hasUri && hasPath) {
    c.problem(
      'MODEL_LOCATION_CONFLICT',
      path,
      'storageUri and storage.path both name the model; KServe refuses to deploy it',
    );
    return undefined;
  }
  if (hasUri) return c.location(`${path}.storageUri`, impl['storageUri']);
  if (hasPath) return storagePathLocation(storage, `${path}.storage`, c);
  return undefined;
}

/**
 * KServe builds `s3://<bucket>/<path>` or `<type>://<path>` from a storage spec, taking the type
 * and bucket from `parameters` or, when they are missing there, from the `storage-config` Secret.
 * A Secret is not part of the object, so without them the location cannot be known.
 */
function storagePathLocation(storage: Obj, path: string, c: Collector): ModelLocation | undefined {
  const raw = storage['path'];
  if (typeof raw !== 'string' || raw === '') {
    c.location(`${path}.path`, raw);
    return undefined;
  }
  const params = objectAt(storage['parameters']);
  const type = params['type'];
  const bucket = params['bucket'];
  const key = raw.startsWith('/') ? raw.slice(1) : raw;
  if (typeof type !== 'string' || type === '' || (type === 's3' && typeof bucket !== 'string')) {
    c.problem(
      'MODEL_LOCATION_UNKNOWN',
      `${path}.path`,
      'the storage spec takes its type or bucket from a cluster Secret; set storage.parameters.type (and bucket for s3) or use storageUri',
    );
    return undefined;
  }
  return {
    path: `${path}.path`,
    uri: type === 's3' ? `s3://${String(bucket)}/${key}` : `${type}://${key}`,
  };
}

/** The first `STORAGE_URI` entry of a container's env, the one KServe reads. */
function envLocation(container: Obj, path: string, c: Collector): ModelLocation | undefined {
  const env = container['env'];
  if (!Array.isArray(env)) return undefined;
  const i = env.findIndex((e) => isObject(e) && e['name'] === 'STORAGE_URI');
  if (i < 0) return undefined;
  const entry = objectAt(env[i]);
  // A valueFrom entry hides the location in a ConfigMap or Secret the webhook cannot read.
  return c.location(`${path}.env[${i}].value`, entry['value']);
}

function containersOf(component: Obj): Obj[] {
  const list = component['containers'];
  return Array.isArray(list) ? list.map(objectAt) : [];
}

/** The predictor's custom container: the first named kserve-container, else the one KServe renames. */
function customContainerIndex(containers: Obj[], defaulted: boolean): number {
  const named = containers.findIndex((x) => x['name'] === CUSTOM_CONTAINER);
  if (named >= 0 || !defaulted || containers.length === 0) return named;
  return containers.length === 1 || containers[0]!['name'] === undefined ? 0 : -1;
}

/** `storageUris[]`: every entry downloads (a `pvc://` entry mounts the whole claim). */
function storageUrisLocations(component: Obj, path: string, c: Collector): number {
  const list = component['storageUris'];
  if (list === undefined) return 0;
  if (!Array.isArray(list)) {
    c.problem('MODEL_URI_INVALID', `${path}.storageUris`, 'storageUris must be a list');
    return 1;
  }
  list.forEach((entry, i) => {
    const loc = c.location(`${path}.storageUris[${i}].uri`, objectAt(entry)['uri']);
    if (loc) c.locations.push(loc);
  });
  return list.length;
}

/** Several single locations in one component, or one plus storageUris: KServe would pick or refuse. */
function single(
  found: (ModelLocation | undefined)[],
  multi: number,
  path: string,
  c: Collector,
): ModelLocation | undefined {
  const named = found.filter((l): l is ModelLocation => l !== undefined);
  if (named.length + (multi > 0 ? 1 : 0) > 1) {
    c.problem(
      'MODEL_LOCATION_CONFLICT',
      path,
      `the component names its model in more than one place (${[...named.map((l) => l.path), ...(multi > 0 ? [`${path}.storageUris`] : [])].join(', ')})`,
    );
    return undefined;
  }
  if (named[0]) c.locations.push(named[0]);
  return named[0];
}

interface PredictorModel {
  /** `model`, a framework key or `custom`; a framework key on the stable predictor becomes `model`. */
  kind?: string;
  impl?: Obj;
  serving?: ModelLocation;
}

function readPredictor(predictor: Obj, c: Collector): PredictorModel {
  const path = 'spec.predictor';
  const legacy = FRAMEWORK_KEYS.filter((k) => isObject(predictor[k]));
  const found: (ModelLocation | undefined)[] = legacy.map((k) =>
    implementationLocation(predictor[k] as Obj, `${path}.${k}`, c),
  );
  const model = isObject(predictor['model']) ? predictor['model'] : undefined;
  // The defaulter moves the first framework key over `model`, so `model`'s own location is lost.
  if (model) found.push(implementationLocation(model, `${path}.model`, c));
  const containers = containersOf(predictor);
  const custom = customContainerIndex(containers, legacy.length === 0 && model === undefined);
  if (custom >= 0) found.push(envLocation(containers[custom]!, `${path}.containers[${custom}]`, c));
  const multi = storageUrisLocations(predictor, path, c);
  const serving = single(found, multi, path, c);
  const kind = legacy.length > 0 || model ? 'model' : custom >= 0 ? 'custom' : undefined;
  const impl = legacy.length > 0 ? (predictor[legacy[0]!] as Obj) : model;
  return { ...(kind ? { kind } : {}), ...(impl ? { impl } : {}), ...(serving ? { serving } : {}) };
}

/** Transformer and explainer: `art` (explainer only), else containers[0]'s STORAGE_URI. */
function readComponent(name: string, body: Obj, c: Collector): ModelLocation | undefined {
  const path = `spec.${name}`;
  const found: (ModelLocation | undefined)[] = [];
  const art = name === 'explainer' && isObject(body['art']) ? body['art'] : undefined;
  // An empty ART storageUri counts as unset in KServe; its storage block is never read.
  if (art && art['storageUri'] !== undefined && art['storageUri'] !== '')
    found.push(c.location(`${path}.art.storageUri`, art['storageUri']));
  const containers = containersOf(body);
  if (containers.length > 0) found.push(envLocation(containers[0]!, `${path}.containers[0]`, c));
  return single(found, storageUrisLocations(body, path, c), path, c);
}

/** Non-empty values of `own` over `base`, one level into `storage` and its `parameters`. */
function mergeImplementation(base: Obj, own: Obj): Obj {
  const merged: Obj = { ...base };
  for (const [k, v] of Object.entries(own))
    if (v !== '' && v !== undefined && v !== null) merged[k] = v;
  if (isObject(base['storage']) && isObject(own['storage'])) {
    const storage = { ...base['storage'], ...own['storage'] };
    storage['parameters'] = {
      ...objectAt(base['storage']['parameters']),
      ...objectAt(own['storage']['parameters']),
    };
    merged['storage'] = storage;
  }
  return merged;
}

/**
 * A Standard-mode canary entry is the stable predictor with the entry merged over it: a model
 * that names no location serves the stable one. An entry that brings an implementation of another
 * kind leaves two in the merged predictor, and KServe's choice between them is not the one a
 * reader expects, so that is a conflict.
 */
function readCanary(entry: Obj, path: string, stable: PredictorModel, c: Collector): CanaryEntry {
  const predictor = objectAt(entry['predictor']);
  const out: CanaryEntry = {
    path,
    traffic: entry['trafficPercent'],
    ...(typeof predictor['name'] === 'string' ? { name: predictor['name'] } : {}),
  };
  const kinds = [
    ...FRAMEWORK_KEYS.filter((k) => isObject(predictor[k])),
    ...(isObject(predictor['model']) ? ['model'] : []),
    ...(containersOf(predictor).some((x) => x['name'] === CUSTOM_CONTAINER) ? ['custom'] : []),
  ];
  if (kinds.length === 0) {
    if (stable.serving) out.model = stable.serving;
    return out;
  }
  if (kinds.length > 1 || (stable.kind !== undefined && kinds[0] !== stable.kind)) {
    c.problem(
      'MODEL_LOCATION_CONFLICT',
      `${path}.predictor`,
      `the canary sets ${kinds.join(', ')} over a stable ${stable.kind ?? 'predictor without a model'}; KServe would merge both`,
    );
    return out;
  }
  const at = `${path}.predictor`;
  let model: ModelLocation | undefined;
  if (kinds[0] === 'custom') {
    const containers = containersOf(predictor);
    const i = containers.findIndex((x) => x['name'] === CUSTOM_CONTAINER);
    // Lists are replaced whole in the merge: the canary's containers alone say what it reads.
    model = envLocation(containers[i]!, `${at}.containers[${i}]`, c);
  } else {
    const own = predictor[kinds[0]!] as Obj;
    const before = c.problems.length;
    model = implementationLocation(
      mergeImplementation(stable.impl ?? {}, own),
      `${at}.${kinds[0]}`,
      c,
    );
    // A location inherited unchanged keeps the stable field's path. Storage parameters alone can
    // still move it (another bucket or type over the stable storage.path): then it is the canary's.
    if (
      model &&
      c.problems.length === before &&
      !ownsLocation(own) &&
      model.uri === stable.serving?.uri
    )
      model = stable.serving;
  }
  if (model) {
    out.model = model;
    if (model !== stable.serving) c.locations.push(model);
  }
  return out;
}

function ownsLocation(impl: Obj): boolean {
  const uri = impl['storageUri'];
  return (uri !== undefined && uri !== '') || objectAt(impl['storage'])['path'] !== undefined;
}

const COMPONENTS = ['predictor', 'transformer', 'explainer'] as const;

/**
 * Reads one governed object in one deployment mode: an InferenceService as above; a TrainedModel
 * (multi-model serving), whose only location is `spec.model.storageUri`, pulled by the model
 * agent into its parent's pods; a ServingRuntime or ClusterServingRuntime, which names no model
 * but whose `internal.serving.kserve.io/*` keys reach the pods of every predictor it serves. Those
 * keys are reported wherever KServe copies them onto pods (`./internal-keys.ts`).
 */
export function readModels(object: unknown, mode: DeploymentMode): Reading {
  const obj = objectAt(object);
  const spec = objectAt(obj['spec']);
  const c = new Collector();
  const kind = obj['kind'];
  if (kind === 'ServingRuntime' || kind === 'ClusterServingRuntime')
    return {
      mode,
      components: [],
      canaries: [],
      locations: [],
      problems: internalKeyProblems(obj),
    };
  if (kind === 'TrainedModel') {
    const model = objectAt(spec['model']);
    if (model['storageUri'] !== undefined) {
      const loc = c.location('spec.model.storageUri', model['storageUri']);
      if (loc) c.locations.push(loc);
    }
    return { mode, components: [], canaries: [], locations: c.locations, problems: c.problems };
  }
  c.problems.push(...internalKeyProblems(obj));
  const components: ComponentModel[] = [];
  let stable: PredictorModel = {};
  for (const name of COMPONENTS) {
    if (!isObject(spec[name])) continue;
    const body = spec[name];
    let serving: ModelLocation | undefined;
    if (name === 'predictor') {
      stable = readPredictor(body, c);
      serving = stable.serving;
    } else {
      serving = readComponent(name, body, c);
    }
    const share = body['canaryTrafficPercent'];
    components.push({
      name,
      ...(serving ? { serving } : {}),
      // Only Knative's reconciler reads canaryTrafficPercent; Standard mode ignores it.
      ...(mode === 'Knative' && share !== undefined
        ? { share: { path: `spec.${name}.canaryTrafficPercent`, value: share } }
        : {}),
    });
  }
  const canaries: CanaryEntry[] = [];
  // KServe refuses spec.canary outside Standard mode, so only that reading serves it.
  if (mode === 'Standard' && spec['canary'] !== undefined) {
    const list = spec['canary'];
    if (!Array.isArray(list))
      c.problem('MODEL_URI_INVALID', 'spec.canary', 'spec.canary must be a list');
    else
      list.forEach((e, i) =>
        canaries.push(readCanary(objectAt(e), `spec.canary[${i}]`, stable, c)),
      );
  }
  return { mode, components, canaries, locations: c.locations, problems: c.problems };
}
