import { formatStable } from '@aviary/policies';
import { artifactsAnnotation, evidence, ociDigest, QUALITIES, versionDigest } from './artifacts.js';
import type { Draft } from './draft.js';
import { LEGACY_KEYS } from './kserve-oracle.js';

/**
 * InferenceServices with model locations in every field class: `model`/legacy `storageUri`,
 * `storage.path` + `parameters`, `storageUris[]`, custom-container `STORAGE_URI`, transformer,
 * explainer and canary entries. Clean drafts stay within what a strict policy must admit.
 */

type Obj = Record<string, any>;
type Via = 'storageUri' | 'path' | 'none' | 'both';

export const MODE_ANNOTATIONS = [
  'Knative',
  'Standard',
  undefined,
  'Serverless',
  'RawDeployment',
  'ModelMesh',
  'standard',
] as const;
const IMAGE = 'example.com/server:1';
const FORMAT = { name: 'sklearn' };
const env = (uri: string) => [{ name: 'STORAGE_URI', value: uri }];

/** The storage spec that resolves to `uri` (KServe drops one leading "/" of the path). */
export function storageOf(uri: string, lead = ''): Obj {
  const [, scheme, rest] = /^([a-z0-9]+):\/\/(.*)$/.exec(uri)!;
  if (scheme !== 's3') return { path: lead + rest, parameters: { type: scheme } };
  const [bucket, ...key] = rest!.split('/');
  return { path: lead + key.join('/'), parameters: { type: 's3', bucket } };
}

function storage(d: Draft): Obj {
  const s = storageOf(
    d.uri(d.pool.filter((u) => /^(s3|gs|https):/.test(u))),
    d.chance(30) ? '/' : '',
  );
  const variant = d.clean ? 'typed' : d.pick(['typed', 'typed', 'typed', 'untyped', 'noBucket']);
  if (variant === 'untyped') delete s['parameters'].type;
  if (variant === 'noBucket') delete s['parameters'].bucket;
  return d.chance(20) ? { ...s, key: 'default' } : s;
}

function block(d: Draft, via: Via): Obj {
  switch (via) {
    case 'storageUri':
      return { storageUri: d.uri() };
    case 'path':
      return { storage: storage(d) };
    case 'none':
      return { runtimeVersion: '1.5.0' };
    case 'both':
      return { storageUri: d.uri(), storage: storage(d) };
  }
}

const model = (d: Draft, via: Via) => ({ modelFormat: { ...FORMAT }, ...block(d, via) });

function customContainers(d: Draft): Obj[] {
  const shapes = ['kserve', 'unnamed', 'single', 'later', 'envLater'];
  switch (d.pick(d.clean ? shapes : [...shapes, 'unchosen'])) {
    case 'kserve':
      return [{ name: 'kserve-container', image: IMAGE, env: env(d.uri()) }];
    case 'unnamed':
      return [{ image: IMAGE, env: env(d.uri()) }];
    case 'single': // renamed to kserve-container by KServe's defaulter
      return [{ name: 'main', image: IMAGE, env: env(d.uri()) }];
    case 'later':
      return [
        { name: 'proxy', image: 'example.com/proxy:1' },
        { name: 'kserve-container', image: IMAGE, env: env(d.uri()) },
      ];
    case 'envLater':
      return [
        {
          name: 'kserve-container',
          image: IMAGE,
          env: [{ name: 'LOG', value: '1' }, ...env(d.uri())],
        },
        { name: 'proxy', image: 'example.com/proxy:1' },
      ];
    default: // no kserve-container and no rename: KServe reads no STORAGE_URI here
      return [
        { name: 'main', image: IMAGE, env: env(d.uri()) },
        { name: 'proxy', image: 'example.com/proxy:1' },
      ];
  }
}

const storageUris = (d: Draft) =>
  d.chance(70)
    ? [{ uri: d.uri() }]
    : [
        { uri: d.uri(), mountPath: '/mnt/models/a' },
        { uri: d.uri(), mountPath: '/mnt/models/b' },
      ];

function predictor(d: Draft, messyPercent: number): Obj {
  if (d.clean || !d.chance(messyPercent)) {
    switch (d.pick(['model', 'legacy', 'custom', 'path', 'uris'])) {
      case 'model':
        return { model: model(d, 'storageUri') };
      case 'legacy':
        return { [d.pick(LEGACY_KEYS)]: block(d, 'storageUri') };
      case 'custom':
        return { containers: customContainers(d) };
      case 'path':
        return d.chance(50)
          ? { model: model(d, 'path') }
          : { [d.pick(LEGACY_KEYS)]: block(d, 'path') };
      default:
        return { model: model(d, 'none'), storageUris: storageUris(d) };
    }
  }
  // Several implementations, both fields, storageUris next to a single location.
  const vias: Via[] = ['storageUri', 'path', 'none', 'both'];
  const p: Obj = {};
  if (d.chance(60)) p['model'] = model(d, d.pick(vias));
  for (let n = d.pick([1, 0, 2]); n > 0; n--) p[d.pick(LEGACY_KEYS)] = block(d, d.pick(vias));
  if (d.chance(30)) p['containers'] = customContainers(d);
  if (d.chance(30)) p['storageUris'] = storageUris(d);
  return p;
}

function transformer(d: Draft): Obj {
  const name = d.pick([{ name: 'kserve-container' }, {}, { name: 'transformer' }]);
  const first = (uri: string) => ({ ...name, image: 'example.com/transformer:1', env: env(uri) });
  switch (d.pick(d.clean ? ['env', 'uris'] : ['env', 'uris', 'both', 'none'])) {
    case 'env':
      return { containers: [first(d.uri())] };
    case 'uris':
      return { containers: [{ ...name, image: IMAGE }], storageUris: storageUris(d) };
    case 'both':
      return { containers: [first(d.uri())], storageUris: storageUris(d) };
    default:
      return { containers: [{ ...name, image: IMAGE, env: [{ name: 'LOG', value: '1' }] }] };
  }
}

function explainer(d: Draft): Obj {
  switch (d.pick(d.clean ? ['art', 'custom', 'uris'] : ['art', 'custom', 'uris', 'artAndCustom'])) {
    case 'art':
      return { art: { storageUri: d.uri(), type: 'SquareAttack' } };
    case 'custom':
      return { containers: [{ name: 'kserve-container', image: IMAGE, env: env(d.uri()) }] };
    case 'uris':
      return {
        containers: [{ name: 'kserve-container', image: IMAGE }],
        storageUris: storageUris(d),
      };
    default:
      return {
        art: { storageUri: d.uri() },
        containers: [{ name: 'kserve-container', image: IMAGE, env: env(d.uri()) }],
      };
  }
}

/**
 * What a canary entry writes; clean drafts keep to the kind KServe stores the stable predictor as
 * (a legacy key becomes `model`), so the merged entry holds one implementation.
 */
function canaryShape(d: Draft, stable: Obj): Obj {
  const legacy = LEGACY_KEYS.find((k) => stable[k] !== undefined);
  const named = (m: Obj) => ({ model: { ...m, name: 'kserve-container' } });
  const shapes: Record<string, () => Obj> = {
    nothing: () => ({}),
    own: () => named(model(d, 'storageUri')),
    inherit: () => named({ modelFormat: { ...FORMAT } }),
    path: () =>
      named({
        modelFormat: { ...FORMAT },
        storage: storageOf(d.uri(d.pool.filter((u) => /^(s3|gs|https):/.test(u)))),
      }),
    legacy: () => ({ [legacy ?? d.pick(LEGACY_KEYS)]: block(d, 'storageUri') }),
    custom: () => ({ containers: [{ name: 'kserve-container', image: IMAGE, env: env(d.uri()) }] }),
    otherLegacy: () => ({ [d.pick(LEGACY_KEYS)]: d.pick([block(d, 'storageUri'), {}]) }),
    params: () =>
      named({
        modelFormat: { ...FORMAT },
        storage: { parameters: d.pick([{ bucket: 'evil' }, { type: 'gs' }]) },
      }),
    both: () => named(model(d, 'both')),
  };
  // Mostly what interacts with the stable predictor in the merge; clean drafts only what KServe
  // merges into one implementation.
  const storage = (stable['model'] ?? stable[legacy ?? ''])?.storage;
  const related = stable['containers']
    ? ['nothing', 'custom', 'own']
    : storage
      ? ['inherit', 'path', 'params', 'both', 'nothing']
      : ['own', 'inherit', 'nothing', 'params', ...(legacy ? ['legacy', 'otherLegacy'] : [])];
  let names = d.chance(60) ? related : Object.keys(shapes);
  if (d.clean) {
    if (stable['containers']) names = ['nothing', 'custom'];
    else if (storage) names = ['nothing', 'inherit', 'path'];
    else names = ['nothing', 'inherit', 'own'];
  }
  return shapes[d.pick(names)]!();
}

const INTERNAL_KEYS = [
  ['annotations', 'internal.serving.kserve.io/storage-spec'],
  ['labels', 'internal.serving.kserve.io/localmodel'],
  ['annotations', 'internal.serving.kserve.io/localmodel-sourceuri'],
] as const;

export interface ObjectOptions {
  /** Percent of predictors drawn with several implementations or fields at once. */
  messy?: number;
  /** Percent of objects with an internal.serving.kserve.io key. */
  internal?: number;
}

/** One InferenceService; its evidence covers every location placed, at a drawn quality. */
export function inferenceService(d: Draft, o: ObjectOptions = {}): Obj {
  const mode = d.pick(d.clean ? MODE_ANNOTATIONS.slice(0, 3) : MODE_ANNOTATIONS);
  const spec: Obj = { predictor: predictor(d, o.messy ?? 25) };
  if (d.chance(35)) spec['transformer'] = transformer(d);
  if (d.chance(30)) spec['explainer'] = explainer(d);
  if ((d.clean ? mode === 'Standard' : true) && d.chance(mode === 'Knative' ? 15 : 45)) {
    spec['predictor'].name = 'stable';
    spec['canary'] = Array.from({ length: d.pick([1, 2]) }, (_, i) => ({
      trafficPercent: d.pick([10, 0, 20, 50, 100]),
      predictor: { name: `c${i}`, ...canaryShape(d, spec['predictor']) },
    }));
  }
  if (!d.clean && d.chance(20)) spec['predictor'].canaryTrafficPercent = d.pick([10, 0, 50, 100]);

  const annotations: Obj = mode ? { 'serving.kserve.io/deploymentMode': mode } : {};
  const metadata: Obj = { name: 'iris', namespace: 'ml', labels: { team: 'risk' }, annotations };
  if (!d.clean && d.chance(o.internal ?? 6)) {
    const [bag, key] = d.pick(INTERNAL_KEYS);
    const owner = d.pick([
      metadata,
      spec['predictor'],
      spec['transformer'] ?? metadata,
      spec['canary']?.[0]?.predictor ?? metadata,
    ]);
    owner[bag] = { ...owner[bag], [key]: 'true' };
  }
  const placed = [...d.uris];
  annotations['aviary.dev/artifacts'] = artifactsAnnotation(
    placed.map((uri) => evidence(uri, d.clean ? 'signed' : d.pick(QUALITIES))),
  );
  if (placed.length > 0 && d.chance(25)) {
    const uri = d.pick(placed);
    annotations['aviary.dev/stable'] = formatStable({
      uri,
      digest: ociDigest(uri) ?? versionDigest(uri, 1),
    });
  }
  return { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata, spec };
}
