/**
 * A reference model of KServe v0.20.0 (kserve/kserve at tag v0.20.0; paths below are under pkg/):
 * which model locations an InferenceService makes KServe download, which one serves each
 * component, and when the object leaves that ambiguous or to something outside it. Written from
 * KServe's source, not from Aviary's engine, so the properties compare two independent readings.
 * Only string locations are modelled: the generators never produce other values.
 */

type Obj = Record<string, any>;
export type Reading = 'Knative' | 'Standard';
export const COMPONENTS = ['predictor', 'transformer', 'explainer'] as const;
export type Component = (typeof COMPONENTS)[number];

export interface Located {
  /** Every location downloaded or mounted (canary entries as `canary[i]`). */
  downloads: { where: string; uri: string }[];
  /** The single location each component serves from (predictor: the stable one). */
  serving: Partial<Record<Component, string>>;
  /** Standard reading: each canary entry's download and its share. */
  canaries: { uri?: string; traffic: unknown }[];
  /** Why the location is ambiguous, or decided outside the object. */
  problems: string[];
}

// The defaulter converts the first legacy key, in this switch order, into `model`
// (apis/serving/v1beta1/inference_service_defaults.go:231-285).
export const LEGACY_KEYS = [
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
// GetImplementations order (apis/serving/v1beta1/predictor.go:168-196); custom comes after.
const IMPLEMENTATIONS = [
  'xgboost',
  'pytorch',
  'triton',
  'sklearn',
  'tensorflow',
  'onnx',
  'pmml',
  'lightgbm',
  'paddle',
  'huggingface',
  'model',
];
const KSERVE_CONTAINER = 'kserve-container';
const INTERNAL = 'internal.serving.kserve.io/';

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The deployment modes an object can be run in. KServe maps the legacy names
 * (inference_service_defaults.go:163-176) and otherwise uses the cluster's configured default
 * (controller/v1beta1/inferenceservice/utils/utils.go:224-248), which the object does not show:
 * the policy may declare it, else both are possible.
 */
export function readings(object: unknown, policyDefault?: Reading): Reading[] {
  const mode = (object as Obj)?.metadata?.annotations?.['serving.kserve.io/deploymentMode'];
  if (mode === 'Knative' || mode === 'Serverless') return ['Knative'];
  if (mode === 'Standard' || mode === 'RawDeployment') return ['Standard'];
  return policyDefault ? [policyDefault] : ['Knative', 'Standard'];
}

/** Whether a model/legacy block names a location at all (storageUri or storage.path). */
const namesLocation = (block: unknown) =>
  isObj(block) && (str(block.storageUri) !== undefined || str(block.storage?.path) !== undefined);

type Single = { uri?: string; problem?: string };
const BOTH = 'storageUri next to storage.path';

/** A model/legacy block's location: storageUri, or storage.path resolved as in §3 of the notes. */
function blockLocation(block: Obj): Single {
  const uri = str(block.storageUri);
  const path = str(block.storage?.path);
  if (path === undefined) return { uri };
  // addStorageInitializerAnnotations refuses a path next to a storageUri (predictor.go:296-298).
  if (uri !== undefined) return { problem: BOTH };
  // One leading "/" dropped (components/component.go:40-58); scheme and bucket from parameters,
  // else from the storage-config secret (credentials/service_account_credentials.go:146-196).
  const rest = path.startsWith('/') ? path.slice(1) : path;
  const params = isObj(block.storage.parameters) ? block.storage.parameters : {};
  const type = str(params.type);
  if (type === undefined) return { problem: 'storage type comes from a secret' };
  if (type !== 's3') return { uri: `${type}://${rest}` };
  const bucket = str(params.bucket);
  return bucket ? { uri: `s3://${bucket}/${rest}` } : { problem: 's3 bucket comes from a secret' };
}

/** GetImplementations (predictor.go:168-196): blocks in order, one custom per kserve-container. */
function implementations(p: Obj): string[] {
  const impls = IMPLEMENTATIONS.filter((k) => isObj(p[k]));
  const containers = list(p.containers);
  for (const c of containers) if (c.name === KSERVE_CONTAINER) impls.push('custom');
  if (impls.length === 0 && containers.length > 0) impls.push('custom');
  return impls;
}

/** CustomPredictor.Default renames containers[0] when alone or unnamed (predictor_custom.go:65-73). */
function renamed(containers: Obj[]): Obj[] {
  if (containers.length === 0 || (containers.length > 1 && str(containers[0]!.name)))
    return containers;
  return [{ ...containers[0], name: KSERVE_CONTAINER }, ...containers.slice(1)];
}

/** CustomPredictor.GetStorageUri: the first kserve-container's first STORAGE_URI (:75-88). */
function customUri(containers: Obj[]): string | undefined {
  const c = containers.find((c) => c.name === KSERVE_CONTAINER);
  const env = c && list(c.env).find((e) => e.name === 'STORAGE_URI');
  return env ? str(env.value) : undefined;
}

/** STORAGE_URI of containers[0] (transformer_custom.go:59-67, explainer_custom.go:55-63). */
const firstContainerUri = (containers: Obj[]) =>
  str(list(containers[0]?.env).find((e) => e.name === 'STORAGE_URI')?.value);

/** The stable predictor as KServe stores it: legacy key moved into `model`, custom renamed. */
function defaulted(raw: Obj): Obj {
  const p: Obj = { ...raw };
  const legacy = LEGACY_KEYS.find((k) => isObj(p[k]));
  if (legacy) {
    // inference_service_defaults.go:287-390: `model` is overwritten by the legacy block.
    p['model'] = { ...p[legacy], modelFormat: { name: legacy } };
    delete p[legacy];
  }
  const impls = implementations(p);
  // Default() runs only on the one implementation (inference_service_defaults.go:199-207).
  if (impls.length === 1 && impls[0] === 'custom') p['containers'] = renamed(list(p['containers']));
  return p;
}

function implementationLocation(p: Obj, kind: string): Single {
  return kind === 'custom' ? { uri: customUri(list(p.containers)) } : blockLocation(p[kind]);
}

/** Kinds a canary entry writes: its legacy/model blocks, and `custom` for containers. */
const entryKinds = (p: Obj) => [
  ...IMPLEMENTATIONS.filter((k) => isObj(p[k])),
  ...(list(p.containers).length > 0 ? ['custom'] : []),
];

/**
 * mergo.Merge(dst, src, WithOverride) as the canary reconciler uses it
 * (components/predictor.go:897-911): a non-empty source value replaces the destination's, structs
 * and maps merge key by key, slices are replaced whole.
 */
function mergeOver(dst: Obj, src: Obj): Obj {
  for (const [k, v] of Object.entries(src)) {
    const empty = v === undefined || v === null || v === '' || v === 0 || v === false;
    if (empty || (Array.isArray(v) && v.length === 0)) continue;
    dst[k] = isObj(v) && isObj(dst[k]) ? mergeOver(dst[k], v) : structuredClone(v);
  }
  return dst;
}

const uris = (entries: unknown) =>
  list(entries)
    .map((e) => str(e.uri))
    .filter((u): u is string => u !== undefined);

/** What KServe downloads for `object` in one reading. */
export function locate(object: unknown, reading: Reading): Located {
  const out: Located = { downloads: [], serving: {}, canaries: [], problems: [] };
  const spec: Obj = isObj((object as Obj)?.spec) ? (object as Obj).spec : {};
  const stable = predictor(spec, out);
  transformer(spec, out);
  explainer(spec, out);
  // Canary entries exist only in Standard mode (inference_service_validation.go:183-191).
  if (reading === 'Standard') canaries(spec, stable, out);
  // Canary entries' keys reach their pods (buildCanaryPredictor merges them); refused in every
  // reading, as KServe refuses spec.canary outside Standard anyway.
  const entries = list(spec.canary).map((e) => e.predictor);
  internalKeys(
    [spec.predictor, spec.transformer, spec.explainer, ...entries, (object as Obj)?.metadata],
    out,
  );
  return out;
}

function download(out: Located, where: string, uri: string | undefined) {
  if (uri !== undefined) out.downloads.push({ where, uri });
}

interface Stable {
  raw: Obj;
  stored: Obj;
  single: Single;
}

function predictor(spec: Obj, out: Located): Stable {
  const raw: Obj = isObj(spec.predictor) ? spec.predictor : {};
  const stored = defaulted(raw);
  const impls = implementations(stored);
  // Two blocks naming a location: the defaulter silently keeps one (legacy over `model`) or the
  // validator rejects; either way the object does not say which one serves.
  const blocks = [...LEGACY_KEYS, 'model'].filter((k) => namesLocation(raw[k])).length;
  const custom = implementations(raw).includes('custom') && customUri(stored.containers ?? []);
  if (blocks + (custom ? 1 : 0) > 1)
    out.problems.push('two predictor implementations name a location');
  // Exactly one implementation or the validator rejects (component.go:415-420).
  const single: Single = impls.length === 1 ? implementationLocation(stored, impls[0]!) : {};
  if (single.problem) out.problems.push(`predictor: ${single.problem}`);
  out.serving.predictor = single.uri;
  download(out, 'predictor', single.uri);
  const many = uris(raw.storageUris);
  // storageUri + storageUris is rejected (inference_service_validation.go:806-852); storage.path +
  // storageUris is not, and both would load: neither says which serves.
  if ((single.uri || single.problem) && many.length > 0)
    out.problems.push('predictor: a single location next to storageUris');
  for (const u of many) download(out, 'predictor', u);
  return { raw, stored, single };
}

/** Custom only, containers[0] (transformer.go:37-44). */
function transformer(spec: Obj, out: Located) {
  if (!isObj(spec.transformer)) return;
  out.serving.transformer = firstContainerUri(list(spec.transformer.containers));
  download(out, 'transformer', out.serving.transformer);
  for (const u of uris(spec.transformer.storageUris)) download(out, 'transformer', u);
}

/** ART, then custom; exactly one (explainer.go:85-94). ART storage is never downloaded. */
function explainer(spec: Obj, out: Located) {
  const ex = spec.explainer;
  if (!isObj(ex)) return;
  const artUri = isObj(ex.art) ? str(ex.art.storageUri) : undefined;
  const containerUri = firstContainerUri(list(ex.containers));
  if (artUri && containerUri) out.problems.push('explainer: art and a container name a location');
  const kinds = [isObj(ex.art), list(ex.containers).length > 0].filter(Boolean).length;
  if (kinds === 1) out.serving.explainer = isObj(ex.art) ? artUri : containerUri;
  download(out, 'explainer', out.serving.explainer);
  for (const u of uris(ex.storageUris)) download(out, 'explainer', u);
}

/**
 * Each entry is the stored stable predictor merged with the entry; its first implementation
 * serves, without an exactly-one check or defaulting; storageUris are never passed on
 * (components/predictor.go:897-941).
 */
function canaries(spec: Obj, stable: Stable, out: Located) {
  const stableNames = stable.single.uri !== undefined || stable.single.problem !== undefined;
  for (const [i, entry] of list(spec.canary).entries()) {
    const own: Obj = isObj(entry.predictor) ? entry.predictor : {};
    const merged = mergeOver(structuredClone(stable.stored), own);
    const impls = implementations(merged);
    const loc: Single = impls.length ? implementationLocation(merged, impls[0]!) : {};
    const kinds = entryKinds(own);
    // The entry writes one implementation and the merged predictor holds another next to it (a
    // legacy key is not folded into `model` in an entry): GetImplementations' order, not the
    // entry, decides what downloads, and the runtime may come from the other block.
    if (kinds.length === 1 && stableNames && impls.length > 1)
      out.problems.push(`canary[${i}]: a second implementation next to the stable one`);
    // A path the entry writes over an inherited storageUri fails the reconcile; an entry's
    // storageUri over an inherited path does too, but then nothing of the entry's downloads.
    const ownPath = kinds.length === 1 && str(own[kinds[0]!]?.storage?.path) !== undefined;
    if (loc.problem && (ownPath || loc.problem !== BOTH))
      out.problems.push(`canary[${i}]: ${loc.problem}`);
    download(out, `canary[${i}]`, loc.uri);
    out.canaries.push({ uri: loc.uri, traffic: entry.trafficPercent });
  }
}

/** Internal keys KServe does not filter can redirect or suppress the download (notes §7). */
function internalKeys(bags: unknown[], out: Located) {
  for (const bag of bags.filter(isObj))
    for (const map of [bag.labels, bag.annotations].filter(isObj))
      for (const key of Object.keys(map))
        if (key.startsWith(INTERNAL)) out.problems.push(`internal key ${key}`);
}
