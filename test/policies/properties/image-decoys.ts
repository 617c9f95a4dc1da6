import { imagePatterns, rbdFields, type Kind } from './crd-images.js';
import type { Draft } from './draft.js';

/**
 * Keys named `image` that are not images a pod pulls, each given an unpinned value outside
 * every prefix: a Ceph RBD volume's image, label, annotation and nodeSelector keys named `image`
 * (on the object and on each pod template), an `IMAGE` env variable and an `--image` argument.
 * Adding any of them must not change a verdict.
 */

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const EVIL = ['nginx:latest', 'evil.example.com/x:1', 'registry.example.com/ml-evil/x'] as const;
/** A label value cannot hold `:` or `/`. */
const EVIL_LABEL = 'nginx';

/** Every object an expression reaches, following arrays (`[]`), without creating anything. */
function reach(object: unknown, segments: readonly string[]): Obj[] {
  let nodes: unknown[] = [object];
  for (const seg of segments)
    nodes = nodes.flatMap((n) =>
      seg === '[]' ? (Array.isArray(n) ? n : []) : isObj(n) && n[seg] !== undefined ? [n[seg]] : [],
    );
  return nodes.filter(isObj);
}

/** The pod templates of an object: each parent of a `volumes` list in the CRD. */
function podSpecs(object: Obj, kind: Kind): Obj[] {
  return rbdFields(kind).flatMap((f) =>
    reach(object, f.slice(0, -'.volumes[].rbd.image'.length).split(/\.|(?=\[\])/)),
  );
}

/** The containers of an object: each parent of a string `image` in a `[]` list. */
function containers(object: Obj, kind: Kind): Obj[] {
  return imagePatterns(kind)
    .filter((p) => !p.volume && p.segments.at(-2) === '[]')
    .flatMap((p) => reach(object, p.segments.slice(0, -1)));
}

type Decoy = (d: Draft, o: Obj, kind: Kind) => boolean;

export const IMAGE_DECOYS: Record<string, Decoy> = {
  // volumes[].rbd.image names a Ceph RBD image, not a container image.
  rbdVolume: (d, o, kind) => {
    const specs = podSpecs(o, kind);
    for (const s of specs)
      (s['volumes'] ??= []).push({
        name: `ceph-${s['volumes'].length}`,
        rbd: { image: d.pick(EVIL), monitors: ['10.0.0.1:6789'], pool: 'kube' },
      });
    return specs.length > 0;
  },
  metadataKeys: (d, o) => {
    const m = o['metadata'];
    m['labels'] = { ...m['labels'], image: EVIL_LABEL };
    m['annotations'] = { ...m['annotations'], image: d.pick(EVIL) };
    return true;
  },
  // Pod labels, annotations and nodeSelector are maps of strings, whatever their keys.
  podMaps: (d, o, kind) => {
    const specs = podSpecs(o, kind);
    for (const s of specs) {
      s['labels'] = { ...s['labels'], image: EVIL_LABEL };
      s['annotations'] = { ...s['annotations'], image: d.pick(EVIL) };
      s['nodeSelector'] = { ...s['nodeSelector'], image: EVIL_LABEL };
    }
    return specs.length > 0;
  },
  envAndArgs: (d, o, kind) => {
    const cs = containers(o, kind);
    for (const c of cs) {
      c['env'] = [...(c['env'] ?? []), { name: 'IMAGE', value: d.pick(EVIL) }];
      c['args'] = [...(c['args'] ?? []), `--image=${d.pick(EVIL)}`];
    }
    return cs.length > 0;
  },
};

/** A copy of `object` with some decoys added, and their names. */
export function withImageDecoys(d: Draft, object: Obj): { object: Obj; decoys: string[] } {
  const copy = structuredClone(object);
  const kind = copy['kind'] as Kind;
  const decoys = Object.entries(IMAGE_DECOYS)
    .filter(([, decoy]) => d.chance(50) && decoy(d, copy, kind))
    .map(([name]) => name);
  return { object: copy, decoys };
}
