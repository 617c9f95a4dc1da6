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
  evidence: Map<string, ArtifactEvidence>;
  evidenceProblem?: EvidenceProblem;
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
  const view: ObjectView = {
    labels,
    uris: collectUriFields(spec),
    evidence: new Map(),
    canaryPercents: [],
    canaries: [],
  };
  const artifacts = parseArtifacts(annotations);
  if ('problem' in artifacts) view.evidenceProblem = artifacts.problem;
  else for (const e of artifacts.entries) view.evidence.set(e.uri, e);
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
