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

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const COMPONENTS = ['predictor', 'transformer', 'explainer'] as const;

/**
 * A read-only, type-checked view of an untrusted InferenceService: what the rules need. Each part
 * is worked out the first time a rule reads it and then kept: on an UPDATE the rules read only a
 * little of the old object (never its evidence, which embeds whole signature bundles), and a
 * review should not pay for the rest.
 */
export class ObjectView {
  readonly #spec: Obj;
  readonly #meta: Obj;
  readonly #annotations: Obj;
  #labels: Record<string, string> | undefined;
  #uris: UriField[] | undefined;
  #evidence: { map: Map<string, ArtifactEvidence>; problem?: EvidenceProblem } | undefined;
  #stable: { record?: StableRecord } | { problem: EvidenceProblem } | undefined;
  #servingUri: { uri: string | undefined } | undefined;
  #canaryPercents: { path: string; value: unknown }[] | undefined;
  #canaries: { path: string; name?: string; uri?: string; traffic: unknown }[] | undefined;

  constructor(object: unknown) {
    const obj = isObj(object) ? object : {};
    this.#meta = isObj(obj['metadata']) ? obj['metadata'] : {};
    this.#spec = isObj(obj['spec']) ? obj['spec'] : {};
    this.#annotations = isObj(this.#meta['annotations']) ? this.#meta['annotations'] : {};
  }

  /** metadata.labels with string values only. */
  get labels(): Record<string, string> {
    if (this.#labels === undefined) {
      const labels: Record<string, string> = {};
      const raw = this.#meta['labels'];
      if (isObj(raw))
        for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') labels[k] = v;
      this.#labels = labels;
    }
    return this.#labels;
  }

  get uris(): UriField[] {
    return (this.#uris ??= collectUriFields(this.#spec));
  }

  get evidence(): Map<string, ArtifactEvidence> {
    return this.#readEvidence().map;
  }

  get evidenceProblem(): EvidenceProblem | undefined {
    return this.#readEvidence().problem;
  }

  #readEvidence(): { map: Map<string, ArtifactEvidence>; problem?: EvidenceProblem } {
    if (this.#evidence === undefined) {
      const artifacts = parseArtifacts(this.#annotations);
      this.#evidence =
        'problem' in artifacts
          ? { map: new Map(), problem: artifacts.problem }
          : { map: new Map(artifacts.entries.map((e) => [e.uri, e])) };
    }
    return this.#evidence;
  }

  get stable(): StableRecord | undefined {
    const s = (this.#stable ??= parseStable(this.#annotations));
    return 'record' in s ? s.record : undefined;
  }

  get stableProblem(): EvidenceProblem | undefined {
    const s = (this.#stable ??= parseStable(this.#annotations));
    return 'problem' in s ? s.problem : undefined;
  }

  /** Knative: predictor.model.storageUri (or the first predictor URI). */
  get servingUri(): string | undefined {
    if (this.#servingUri === undefined)
      this.#servingUri = { uri: this.uris.find((u) => u.path.startsWith('spec.predictor.'))?.uri };
    return this.#servingUri.uri;
  }

  /** Knative canaryTrafficPercent per component path, as found (may be a non-integer). */
  get canaryPercents(): { path: string; value: unknown }[] {
    if (this.#canaryPercents === undefined) {
      this.#canaryPercents = [];
      for (const component of COMPONENTS) {
        const c = this.#spec[component];
        if (isObj(c) && c['canaryTrafficPercent'] !== undefined) {
          this.#canaryPercents.push({
            path: `spec.${component}.canaryTrafficPercent`,
            value: c['canaryTrafficPercent'],
          });
        }
      }
    }
    return this.#canaryPercents;
  }

  /** Standard-mode canary entries. */
  get canaries(): { path: string; name?: string; uri?: string; traffic: unknown }[] {
    if (this.#canaries === undefined) {
      const entries = this.#spec['canary'];
      this.#canaries = Array.isArray(entries)
        ? entries.map((entry: unknown, i) => {
            const e = isObj(entry) ? entry : {};
            const p = isObj(e['predictor']) ? e['predictor'] : {};
            const uri = collectUriFields(p)[0]?.uri;
            return {
              path: `spec.canary[${i}]`,
              ...(typeof p['name'] === 'string' ? { name: p['name'] } : {}),
              ...(uri !== undefined ? { uri } : {}),
              traffic: e['trafficPercent'],
            };
          })
        : [];
    }
    return this.#canaries;
  }
}

export function viewObject(object: unknown): ObjectView {
  return new ObjectView(object);
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
