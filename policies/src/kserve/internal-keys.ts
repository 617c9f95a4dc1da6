import type { Finding } from '../finding.js';
import { objectAt, type Obj } from '../object.js';

const INTERNAL_PREFIX = 'internal.serving.kserve.io/';

/**
 * The label and annotation maps of a governed object that KServe v0.20 copies onto pod metadata,
 * where its pod webhook reads `internal.serving.kserve.io/*` keys (notes §7): an
 * InferenceService's own metadata and each component's `labels`/`annotations`, canary entries
 * included (`buildCanaryPredictor` merges them over the stable's); a serving runtime's
 * `spec.labels`/`annotations` and its `workerSpec`'s, which go onto the pods of every predictor
 * that runtime serves, chosen by name or picked by `autoSelect`. A runtime's own metadata is
 * never copied, nor is a TrainedModel's.
 */
function podMetadataHolders(object: Obj): [string, Obj][] {
  const spec = objectAt(object['spec']);
  const kind = object['kind'];
  if (kind === 'ServingRuntime' || kind === 'ClusterServingRuntime')
    return [
      ['spec', spec],
      ['spec.workerSpec', objectAt(spec['workerSpec'])],
    ];
  if (kind === 'TrainedModel') return [];
  const holders: [string, Obj][] = [['metadata', objectAt(object['metadata'])]];
  for (const name of ['predictor', 'transformer', 'explainer'])
    holders.push([`spec.${name}`, objectAt(spec[name])]);
  // Read in every deployment mode: KServe refuses spec.canary outside Standard, so refusing a key
  // there costs nothing, and a mode misjudged from outside the cluster cannot let one through.
  const canary = spec['canary'];
  if (Array.isArray(canary))
    canary.forEach((entry, i) =>
      holders.push([`spec.canary[${i}].predictor`, objectAt(objectAt(entry)['predictor'])]),
    );
  return holders;
}

/** One `MODEL_LOCATION_OVERRIDE` per internal key: KServe owns them, and they steer the download. */
export function internalKeyProblems(object: unknown): Finding[] {
  const out: Finding[] = [];
  for (const [at, holder] of podMetadataHolders(objectAt(object)))
    for (const bag of ['labels', 'annotations'])
      for (const key of Object.keys(objectAt(holder[bag])))
        if (key.startsWith(INTERNAL_PREFIX))
          out.push({
            code: 'MODEL_LOCATION_OVERRIDE',
            path: `${at}.${bag}["${key}"]`,
            message:
              'internal.serving.kserve.io keys are KServe-owned and can redirect or skip the model download',
          });
  return out;
}
