import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { SHARED } from '../../helpers/paths.js';

/**
 * Where KServe v0.20.0's own CRDs (../shared/crds) put a container image, read from their schemas
 * rather than from Aviary's engine: every property named `image` that is a string (a container's
 * image, an implementation block's image) or an object with a `reference` (an ImageVolume source).
 * `volumes[].rbd.image` is a string too but names a Ceph RBD image, not a container image: a decoy.
 * The table is what walkCrd() finds (image-oracle.test.ts checks it against the files), kept here
 * so the properties do not parse 2 MB of YAML each.
 */

export type Kind = 'InferenceService' | 'ServingRuntime' | 'ClusterServingRuntime' | 'TrainedModel';

const RUNTIME = [
  'spec.containers[].image',
  'spec.volumes[].image.reference',
  'spec.workerSpec.containers[].image',
  'spec.workerSpec.volumes[].image.reference',
];

export const IMAGE_FIELDS: Record<Kind, readonly string[]> = {
  InferenceService: [
    'spec.canary[].predictor.containers[].image',
    'spec.canary[].predictor.ephemeralContainers[].image',
    'spec.canary[].predictor.huggingface.image',
    'spec.canary[].predictor.initContainers[].image',
    'spec.canary[].predictor.lightgbm.image',
    'spec.canary[].predictor.model.image',
    'spec.canary[].predictor.onnx.image',
    'spec.canary[].predictor.paddle.image',
    'spec.canary[].predictor.pmml.image',
    'spec.canary[].predictor.pytorch.image',
    'spec.canary[].predictor.sklearn.image',
    'spec.canary[].predictor.tensorflow.image',
    'spec.canary[].predictor.triton.image',
    'spec.canary[].predictor.volumes[].image.reference',
    'spec.canary[].predictor.workerSpec.containers[].image',
    'spec.canary[].predictor.workerSpec.ephemeralContainers[].image',
    'spec.canary[].predictor.workerSpec.initContainers[].image',
    'spec.canary[].predictor.workerSpec.volumes[].image.reference',
    'spec.canary[].predictor.xgboost.image',
    'spec.explainer.art.image',
    'spec.explainer.containers[].image',
    'spec.explainer.initContainers[].image',
    'spec.explainer.volumes[].image.reference',
    'spec.predictor.containers[].image',
    'spec.predictor.huggingface.image',
    'spec.predictor.initContainers[].image',
    'spec.predictor.lightgbm.image',
    'spec.predictor.model.image',
    'spec.predictor.onnx.image',
    'spec.predictor.paddle.image',
    'spec.predictor.pmml.image',
    'spec.predictor.pytorch.image',
    'spec.predictor.sklearn.image',
    'spec.predictor.tensorflow.image',
    'spec.predictor.triton.image',
    'spec.predictor.volumes[].image.reference',
    'spec.predictor.workerSpec.containers[].image',
    'spec.predictor.workerSpec.ephemeralContainers[].image',
    'spec.predictor.workerSpec.initContainers[].image',
    'spec.predictor.workerSpec.volumes[].image.reference',
    'spec.predictor.xgboost.image',
    'spec.transformer.containers[].image',
    'spec.transformer.initContainers[].image',
    'spec.transformer.volumes[].image.reference',
  ],
  ServingRuntime: RUNTIME,
  ClusterServingRuntime: RUNTIME,
  TrainedModel: [],
};

/** A path through the object: property names, with `[]` for "every element of this array". */
export interface ImagePattern {
  segments: readonly string[];
  /** True for an ImageVolume (`image: {reference}`), false for a string `image`. */
  volume: boolean;
}

const toPattern = (field: string): ImagePattern => {
  const volume = field.endsWith('.image.reference');
  const text = volume ? field.slice(0, -'.reference'.length) : field;
  const segments = text
    .split('.')
    .flatMap((s) => (s.endsWith('[]') ? [s.slice(0, -2), '[]'] : [s]));
  return { segments, volume };
};

export const imagePatterns = (kind: Kind): ImagePattern[] => IMAGE_FIELDS[kind].map(toPattern);

/** The Ceph RBD image of each pod template's volumes (a template: where image volumes are). */
export const rbdFields = (kind: Kind): string[] =>
  IMAGE_FIELDS[kind]
    .filter((f) => f.endsWith('.volumes[].image.reference'))
    .map((f) => f.replace(/image\.reference$/, 'rbd.image'));

export const patternText = (p: ImagePattern) =>
  p.segments.join('.').replace(/\.\[\]/g, '[]') + (p.volume ? '.reference' : '');

const FILES: Record<Kind, [string, string]> = {
  InferenceService: ['serving.kserve.io_inferenceservices.yaml', 'v1beta1'],
  ServingRuntime: ['serving.kserve.io_servingruntimes.yaml', 'v1alpha1'],
  ClusterServingRuntime: ['serving.kserve.io_clusterservingruntimes.yaml', 'v1alpha1'],
  TrainedModel: ['serving.kserve.io_trainedmodels.yaml', 'v1alpha1'],
};

type Schema = { type?: string; properties?: Record<string, Schema>; items?: Schema };

/** Every `image` property under `spec` in one kind's CRD: container images, and RBD ones apart. */
export function walkCrd(kind: Kind): { images: string[]; rbd: string[] } {
  const [file, version] = FILES[kind];
  const crd = parse(readFileSync(path.join(SHARED, 'crds', file), 'utf8'), {
    maxAliasCount: -1,
  }) as { spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } };
  const v = crd.spec.versions.find((x) => x.name === version);
  if (!v) throw new Error(`${version} not in ${file}`);
  const out = { images: [] as string[], rbd: [] as string[] };
  const walk = (schema: Schema, at: string) => {
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      const here = `${at}.${key}`;
      if (key === 'image') {
        if (at.endsWith('.rbd')) out.rbd.push(here);
        else if (sub.type === 'string') out.images.push(here);
        else if (sub.properties?.['reference']?.type === 'string')
          out.images.push(`${here}.reference`);
        else throw new Error(`an image property of an unknown shape at ${here}`);
      }
      walk(sub, here);
    }
    if (schema.items) walk(schema.items, `${at}[]`);
  };
  walk(v.schema.openAPIV3Schema.properties?.['spec'] ?? {}, 'spec');
  return out;
}
