import { DECOY_URIS } from './artifacts.js';
import type { Draft } from './draft.js';
import { LEGACY_KEYS, type Reading } from './kserve-oracle.js';

/**
 * Fields KServe v0.20.0 never downloads from (notes §1-§2, §8), each filled with an unpinned
 * location outside every prefix, and a key shuffle. Adding either must not change a verdict.
 */

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const BLOCKS = ['model', ...LEGACY_KEYS];

type Decoy = (o: Obj, evil: () => string, readings: Reading[]) => boolean;

const storageEnv = (uri: string) => ({ name: 'STORAGE_URI', value: uri });
const sidecar = (name: string, uri: string) => ({
  name,
  image: 'example.com/sidecar:1',
  env: [storageEnv(uri)],
});
const predictors = (o: Obj): Obj[] => [
  o['spec'].predictor,
  ...(o['spec'].canary ?? []).map((e: Obj) => e['predictor']).filter(isObj),
];

/** Each decoy returns false when it does not apply to this object. */
export const DECOYS: Record<string, Decoy> = {
  // A model or legacy block's own env is never a source; KServe rewrites it (injector.go:560-566).
  blockEnv: (o, evil) => {
    const blocks = predictors(o).flatMap((p) => BLOCKS.map((k) => p[k]).filter(isObj));
    for (const b of blocks) b['env'] = [...(b['env'] ?? []), storageEnv(evil())];
    return blocks.length > 0;
  },
  // Containers other than the one GetStorageUri reads, without changing which one that is.
  sidecars: (o, evil) => {
    const p = o['spec'].predictor;
    const cs: Obj[] = p.containers ?? [];
    let applied = false;
    if (cs.length === 0 && BLOCKS.some((k) => isObj(p[k]))) {
      p.containers = [sidecar('sidecar-a', evil()), sidecar('sidecar-b', evil())];
      applied = true;
    } else if (
      cs.length > 1 ||
      (cs.length === 1 && (!cs[0]!['name'] || cs[0]!['name'] === 'kserve-container'))
    ) {
      cs.push(sidecar('sidecar', evil()));
      applied = true;
    }
    for (const c of [o['spec'].transformer, o['spec'].explainer].filter(isObj))
      if (c['containers']?.length > 0) {
        c['containers'].push(sidecar('sidecar', evil()));
        applied = true;
      }
    return applied;
  },
  // Only the first STORAGE_URI entry of a container is read (predictor_custom.go:75-88).
  laterEnv: (o, evil) => {
    let applied = false;
    for (const c of [o['spec'].predictor, o['spec'].transformer, o['spec'].explainer].filter(isObj))
      for (const container of c['containers'] ?? [])
        if ((container.env ?? []).some((e: Obj) => e['name'] === 'STORAGE_URI')) {
          container.env.push(storageEnv(evil()));
          applied = true;
        }
    return applied;
  },
  // Workers reuse the head's location; their env is never read (predictor.go:521-554).
  workerSpec: (o, evil) => {
    o['spec'].predictor.workerSpec = {
      pipelineParallelSize: 2,
      storageUri: evil(),
      containers: [
        { name: 'worker-container', image: 'example.com/server:1', env: [storageEnv(evil())] },
      ],
    };
    return true;
  },
  // ART's storage is validated, never downloaded (components/explainer.go).
  artStorage: (o) => {
    const art = o['spec'].explainer?.art;
    if (!isObj(art) || art['storage']) return false;
    art['storage'] = { path: 'decoy/', parameters: { type: 's3', bucket: 'evil' } };
    return true;
  },
  // The canary reconciler passes no storageUris (predictor.go:940-941).
  canaryStorageUris: (o, evil) => {
    const entries = (o['spec'].canary ?? []).map((e: Obj) => e['predictor']).filter(isObj);
    for (const p of entries) p['storageUris'] = [{ uri: evil() }];
    return entries.length > 0;
  },
  // Standard mode never reads canaryTrafficPercent (notes §4).
  sharesInStandard: (o, _evil, readings) => {
    if (readings.includes('Knative')) return false;
    for (const c of [o['spec'].predictor, o['spec'].transformer, o['spec'].explainer].filter(isObj))
      c['canaryTrafficPercent'] = 100;
    return true;
  },
  // spec.canary exists only in Standard mode (inference_service_validation.go:183-191).
  canaryInKnative: (o, evil, readings) => {
    if (readings.includes('Standard')) return false;
    o['spec'].canary = [
      ...(o['spec'].canary ?? []),
      {
        trafficPercent: 100,
        predictor: {
          name: 'decoy',
          model: { modelFormat: { name: 'sklearn' }, storageUri: evil() },
        },
      },
    ];
    return true;
  },
  // Fields the CRD does not have: pruned by the apiserver, never read by KServe.
  unknownKeys: (o, evil) => {
    const spec = o['spec'];
    spec.predictor.storageUri = evil();
    if (isObj(spec.predictor.model)) spec.predictor.model.storageUris = [{ uri: evil() }];
    for (const c of [spec.transformer, spec.explainer].filter(isObj)) {
      c['storageUri'] = evil();
      c['sklearn'] = { storageUri: evil() };
    }
    spec.extras = { storageUri: evil(), containers: [sidecar('x', evil())] };
    o['metadata'].annotations['example.com/storageUri'] = evil();
    return true;
  },
  // schemaPath is never used to download (notes §3).
  schemaPath: (o, evil) => {
    const blocks = predictors(o).flatMap((p) => BLOCKS.map((k) => p[k]).filter(isObj));
    const withStorage = blocks.filter((b) => isObj(b['storage']));
    for (const b of withStorage) b['storage'].schemaPath = evil();
    return withStorage.length > 0;
  },
};

/** A copy of `object` with some decoys added, and their names. */
export function withDecoys(
  d: Draft,
  object: Obj,
  readings: Reading[],
): { object: Obj; decoys: string[] } {
  const copy = structuredClone(object);
  const evil = () => d.pick(DECOY_URIS);
  const applied = Object.entries(DECOYS)
    .filter(([, decoy]) => d.chance(45) && decoy(copy, evil, readings))
    .map(([name]) => name);
  return { object: copy, decoys: applied };
}

/** A deterministic generator for the shuffle (mulberry32). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

function shuffled(value: unknown, next: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffled(v, next));
  if (typeof value === 'string' && /^[[{]/.test(value)) {
    // JSON in an annotation (aviary.dev/artifacts, aviary.dev/stable): its keys too.
    try {
      return JSON.stringify(shuffled(JSON.parse(value), next));
    } catch {
      return value;
    }
  }
  if (!isObj(value)) return value;
  const entries = Object.entries(value);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffled(v, next)]));
}

/** The same object with the keys of every map, at every depth, in another order. */
export const shuffleKeys = <T>(value: T, seed: number): T => shuffled(value, random(seed)) as T;
