import { artifactsAnnotation, BAD_URIS, evidence, GOOD_URIS, QUALITIES } from './artifacts.js';
import { imagePatterns, type ImagePattern, type Kind } from './crd-images.js';
import type { Draft } from './draft.js';
import { expand, podImages } from './image-oracle.js';
import { image, type ImageMix } from './image-pool.js';
import { LEGACY_KEYS, locate, type Reading } from './kserve-oracle.js';
import { inferenceService } from './objects.js';

/**
 * Objects of every governed kind with images in every field their CRD has: the InferenceService
 * drafts of objects.ts with images placed along the CRD's image paths, ServingRuntimes and
 * ClusterServingRuntimes, and TrainedModels. Placing an image never changes which model
 * locations KServe reads (checked against the KServe oracle), so image properties stay separate
 * from model-location ones.
 */

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const READINGS: Reading[] = ['Knative', 'Standard'];
// Blocks and components an image is only placed into when the draft already has them: creating
// one would change what KServe serves (a second implementation, a transformer without a model).
const EXISTING_ONLY = new Set([
  'model',
  'art',
  'predictor',
  'transformer',
  'explainer',
  'canary',
  ...LEGACY_KEYS,
]);

/** Sets a placeholder at one pattern, creating containers or volumes on the way; false if not. */
function place(d: Draft, object: Obj, pattern: ImagePattern): boolean {
  let node: Obj = object;
  const segs = pattern.segments;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    if (seg === '[]') continue;
    if (segs[i + 1] === '[]') {
      if (EXISTING_ONLY.has(seg) && !Array.isArray(node[seg])) return false;
      const list: Obj[] = (node[seg] ??= []);
      if (!Array.isArray(list)) return false;
      const reuse = list.length > 0 && (EXISTING_ONLY.has(seg) || d.chance(50));
      if (reuse) node = d.pick(list);
      else {
        const element = { name: `${seg.toLowerCase().slice(0, 5)}-${list.length}` };
        list.push(element);
        node = element;
      }
      if (!isObj(node)) return false;
      continue;
    }
    if (EXISTING_ONLY.has(seg) && !isObj(node[seg])) return false;
    node = node[seg] ??= {};
    if (!isObj(node)) return false;
  }
  node['image'] = pattern.volume ? { reference: 'placeholder' } : 'placeholder';
  return true;
}

const sameLocations = (a: unknown, b: unknown) =>
  READINGS.every((r) => JSON.stringify(locate(a, r)) === JSON.stringify(locate(b, r)));

/** Places images along a random subset of the kind's CRD image paths, then paints every one. */
export function withImages(d: Draft, object: Obj, kind: Kind, mix: ImageMix): Obj {
  let out = structuredClone(object);
  for (const pattern of imagePatterns(kind)) {
    // An implementation block takes an image only where the draft has one: try it more often.
    const block = EXISTING_ONLY.has(pattern.segments.at(-2)!);
    if (!d.chance(block ? 90 : 35)) continue;
    const next = structuredClone(out);
    if (place(d, next, pattern) && (kind !== 'InferenceService' || sameLocations(out, next)))
      out = next;
  }
  for (const pattern of imagePatterns(kind))
    for (const { path } of expand(out, pattern)) setAt(out, path, image(d, mix));
  return out;
}

/** Sets the value at a path in the engine's notation (`a.b[0].c`). */
function setAt(object: Obj, path: string, value: unknown): void {
  const keys = path.split(/\.|(?=\[)/).map((k) => (k.startsWith('[') ? Number(k.slice(1, -1)) : k));
  let node: any = object;
  for (const k of keys.slice(0, -1)) node = node[k];
  node[keys.at(-1)!] = value;
}

export function imagedInferenceService(d: Draft, mix: ImageMix): Obj {
  const base = d.chance(50) ? inferenceService(d, { messy: 0, internal: 0 }) : blockService(d);
  return withImages(d, base, 'InferenceService', mix);
}

/**
 * An InferenceService whose predictor, canary entry and explainer are implementation blocks, any
 * of them: each block's `image` replaces the runtime's. Several blocks in one predictor, or an
 * entry with a framework key next to the `model` KServe stores for the stable predictor, are
 * conflicts the engine denies, but their images must still be cited; clean drafts keep to one.
 */
function blockService(d: Draft): Obj {
  const all = ['model', ...LEGACY_KEYS];
  // A window of n keys from a drawn start: every key turns up often enough to be tested.
  const keys = (n: number) => {
    const start = d.pick(all.map((_, i) => i));
    return Array.from({ length: n }, (_, i) => all[(start + i) % all.length]!);
  };
  const predictor: Obj = {};
  for (const key of keys(d.clean ? 1 : d.pick([1, 2, 3])))
    predictor[key] = { modelFormat: { name: 'sklearn' }, storageUri: d.uri(), image: 'x' };
  const spec: Obj = { predictor };
  const canary = d.chance(d.clean ? 60 : 85);
  if (canary) {
    predictor['name'] = 'stable';
    const entry: Obj = { name: 'c0' };
    for (const key of d.clean ? ['model'] : keys(d.pick([2, 4]))) entry[key] = { image: 'x' };
    spec['canary'] = [{ trafficPercent: 10, predictor: entry }];
  }
  if (d.chance(40))
    spec['explainer'] = { art: { type: 'SquareAttack', storageUri: d.uri(), image: 'x' } };
  const mode = canary ? 'Standard' : d.pick(['Knative', 'Standard', undefined]);
  const annotations: Obj = {
    ...(mode ? { 'serving.kserve.io/deploymentMode': mode } : {}),
    'aviary.dev/artifacts': artifactsAnnotation([...d.uris].map((u) => evidence(u, 'signed'))),
  };
  const metadata = { name: 'blocks', namespace: 'ml', annotations };
  return { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata, spec };
}

/** A ServingRuntime or ClusterServingRuntime as KServe's samples write one. */
export function runtime(
  d: Draft,
  kind: 'ServingRuntime' | 'ClusterServingRuntime',
  mix: ImageMix,
): Obj {
  const metadata: Obj = {
    name: 'kserve-sklearnserver',
    labels: { team: d.pick(['risk', 'other']) },
  };
  if (kind === 'ServingRuntime') metadata['namespace'] = 'ml';
  const spec: Obj = {
    annotations: { 'prometheus.kserve.io/port': '8080' },
    supportedModelFormats: [{ name: 'sklearn', version: '1', autoSelect: true, priority: 1 }],
    protocolVersions: ['v1', 'v2'],
    containers: [
      {
        name: 'kserve-container',
        image: 'placeholder',
        args: ['--model_name={{.Name}}', '--model_dir=/mnt/models', '--http_port=8080'],
        resources: { requests: { cpu: '1', memory: '2Gi' } },
      },
    ],
  };
  if (d.chance(30)) spec['multiModel'] = true;
  if (d.chance(30))
    spec['workerSpec'] = {
      pipelineParallelSize: 2,
      containers: [{ name: 'worker-container', image: 'placeholder' }],
    };
  return withImages(
    d,
    { apiVersion: 'serving.kserve.io/v1alpha1', kind, metadata, spec },
    kind,
    mix,
  );
}

/** The storage URIs a TrainedModel may name (KServe's webhook takes s3, gs and http(s) only). */
const TM_URIS = (uris: readonly string[]) => uris.filter((u) => /^(s3|gs|https?):/.test(u));

/** A TrainedModel of a multi-model InferenceService, with evidence of a drawn quality. */
export function trainedModel(d: Draft): Obj {
  const uri = d.uri(d.clean ? TM_URIS(GOOD_URIS) : [...GOOD_URIS, ...BAD_URIS]);
  const quality = d.clean ? 'signed' : d.pick(QUALITIES);
  return {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'TrainedModel',
    metadata: {
      name: 'iris-v2',
      namespace: 'ml',
      annotations: { 'aviary.dev/artifacts': artifactsAnnotation([evidence(uri, quality)]) },
    },
    spec: {
      inferenceService: 'sklearn-mms',
      model: { framework: 'sklearn', memory: '256Mi', storageUri: uri },
    },
  };
}

/** The oracle's image fields of any kind (canary entries counted under `readings`). */
export function imagesOf(object: Obj, readings: readonly Reading[]) {
  return podImages(object, object['kind'] as Kind, readings);
}
