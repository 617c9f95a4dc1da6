import {
  ARTIFACTS_ANNOTATION,
  STABLE_ANNOTATION,
  parseArtifacts,
  parseStable,
  type ArtifactEvidence,
  type EvidenceProblem,
  type StableRecord,
} from '../evidence/contract.js';
import { collectUriFields, type UriField } from './uris.js';

/**
 * A read-only, type-checked view of an untrusted InferenceService: what the rules need, computed
 * once per object.
 */
export interface ObjectView {
  labels: Record<string, string>;
  uris: UriField[];
  readonly evidence: Map<string, ArtifactEvidence>;
  readonly evidenceProblem: EvidenceProblem | undefined;
  stable?: StableRecord;
  stableProblem?: EvidenceProblem;
  /** Knative: predictor.model.storageUri (or the first predictor URI). */
  servingUri?: string;
  /** Knative canaryTrafficPercent per component path, as found (may be a non-integer). */
  canaryPercents: { path: string; value: unknown }[];
  /** Standard-mode canary entries. */
  canaries: { path: string; name?: string; uri?: string; traffic: unknown }[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export function viewObject(object: unknown): ObjectView {
  const obj = isObj(object) ? object : {};
  const meta = isObj(obj['metadata']) ? obj['metadata'] : {};
  const spec = isObj(obj['spec']) ? obj['spec'] : {};
  const annotations = isObj(meta['annotations']) ? meta['annotations'] : {};
  const labels: Record<string, string> = {};
  if (isObj(meta['labels'])) {
    for (const [k, v] of Object.entries(meta['labels'])) if (typeof v === 'string') labels[k] = v;
  }
  // The evidence annotation (which embeds whole signature bundles) is parsed on first use: on an
  // UPDATE no rule reads the old object's evidence, and a review should not parse it for nothing.
  let evidence: { map: Map<string, ArtifactEvidence>; problem?: EvidenceProblem } | undefined;
  const readEvidence = () => {
    if (evidence === undefined) {
      const artifacts = parseArtifacts(annotations);
      evidence =
        'problem' in artifacts
          ? { map: new Map(), problem: artifacts.problem }
          : { map: new Map(artifacts.entries.map((e) => [e.uri, e])) };
    }
    return evidence;
  };
  const view: ObjectView = {
    labels,
    uris: collectUriFields(spec),
    get evidence() {
      return readEvidence().map;
    },
    get evidenceProblem() {
      return readEvidence().problem;
    },
    canaryPercents: [],
    canaries: [],
  };
  const stable = parseStable(annotations);
  if ('problem' in stable) view.stableProblem = stable.problem;
  else if (stable.record) view.stable = stable.record;

  const servingField = view.uris.find((u) => u.path.startsWith('spec.predictor.'));
  if (servingField?.uri !== undefined) view.servingUri = servingField.uri;
  for (const component of ['predictor', 'transformer', 'explainer']) {
    const c = spec[component];
    if (isObj(c) && c['canaryTrafficPercent'] !== undefined) {
      view.canaryPercents.push({
        path: `spec.${component}.canaryTrafficPercent`,
        value: c['canaryTrafficPercent'],
      });
    }
  }
  if (Array.isArray(spec['canary'])) {
    spec['canary'].forEach((entry: unknown, i) => {
      const e = isObj(entry) ? entry : {};
      const p = isObj(e['predictor']) ? e['predictor'] : {};
      const uri = collectUriFields(p)[0]?.uri;
      view.canaries.push({
        path: `spec.canary[${i}]`,
        ...(typeof p['name'] === 'string' ? { name: p['name'] } : {}),
        ...(uri !== undefined ? { uri } : {}),
        traffic: e['trafficPercent'],
      });
    });
  }
  return view;
}

export const EVIDENCE_PATHS = {
  artifacts: `metadata.annotations["${ARTIFACTS_ANNOTATION}"]`,
  stable: `metadata.annotations["${STABLE_ANNOTATION}"]`,
} as const;

/** The finding both pinning and signatures report when `aviary.dev/artifacts` cannot be read. */
export function evidenceFindings(
  view: ObjectView,
): { code: string; path: string; message: string }[] {
  return view.evidenceProblem
    ? [
        {
          code: view.evidenceProblem.code,
          path: EVIDENCE_PATHS.artifacts,
          message: view.evidenceProblem.message,
        },
      ]
    : [];
}
