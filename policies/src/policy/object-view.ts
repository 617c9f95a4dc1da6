import {
  ARTIFACTS_ANNOTATION,
  STABLE_ANNOTATION,
  parseArtifacts,
  parseStable,
  type ArtifactEvidence,
  type EvidenceProblem,
  type StableRecord,
} from '../evidence/contract.js';
import type { Finding } from '../finding.js';
import { containerImages, type ImageField } from '../kserve/images.js';
import { readModels, type DeploymentMode, type Reading } from '../kserve/locations.js';
import { declaredMode } from '../kserve/mode.js';
import { ociDigest } from '../kserve/uri.js';
import { MAX_OBJECT_DEPTH, objectAt, type Obj } from '../object.js';

/** Beyond these an object is not inspected, and every rule denies it. */
export const INSPECTION_LIMITS = Object.freeze({ maxNodes: 10_000, maxDepth: MAX_OBJECT_DEPTH });

/** What an artifact is: where it lives and, when known, its content digest. */
export interface Artifact {
  uri: string;
  digest: string | undefined;
}

/**
 * A read-only view of an untrusted InferenceService with what the rules need: its labels, its
 * evidence and stable record, and its model locations as KServe reads them in a given deployment
 * mode. Each part is worked out when a rule first asks for it.
 */
export class ObjectView {
  readonly #object: Obj;
  readonly #annotations: Obj;
  #labels: Record<string, string> | undefined;
  #evidence: { map: Map<string, ArtifactEvidence>; problem?: EvidenceProblem } | undefined;
  #stable: { record?: StableRecord } | { problem: EvidenceProblem } | undefined;
  #readings = new Map<DeploymentMode, Reading>();
  #limit: Finding[] | undefined;
  #images: { images: ImageField[]; problems: Finding[] } | undefined;

  constructor(object: unknown) {
    this.#object = objectAt(object);
    this.#annotations = objectAt(objectAt(this.#object['metadata'])['annotations']);
  }

  /** metadata.labels with string values only. */
  get labels(): Record<string, string> {
    if (this.#labels === undefined) {
      this.#labels = {};
      const raw = objectAt(objectAt(this.#object['metadata'])['labels']);
      for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') this.#labels[k] = v;
    }
    return this.#labels;
  }

  /** The mode the object's annotation states; undefined leaves it to the cluster default. */
  get declaredMode(): DeploymentMode | undefined {
    return declaredMode(this.#object['metadata']);
  }

  reading(mode: DeploymentMode): Reading {
    let r = this.#readings.get(mode);
    if (r === undefined) {
      r = readModels(this.#object, mode);
      this.#readings.set(mode, r);
    }
    return r;
  }

  /**
   * Why the object cannot be read at all, if it cannot: beyond the inspection limits nothing it
   * contains can be shown to be pinned, signed or stepped.
   */
  get limitProblems(): Finding[] {
    if (this.#limit === undefined) {
      const budget = { nodes: INSPECTION_LIMITS.maxNodes };
      this.#limit = withinLimits(this.#object, 0, budget)
        ? []
        : [
            {
              code: 'OBJECT_UNINSPECTABLE',
              path: 'spec',
              message: `the object is deeper than ${INSPECTION_LIMITS.maxDepth} levels or has more than ${INSPECTION_LIMITS.maxNodes} fields`,
            },
          ];
    }
    return this.#limit;
  }

  /** Every container image the object makes a pod pull; none when it is beyond the limits. */
  get images(): { images: ImageField[]; problems: Finding[] } {
    this.#images ??=
      this.limitProblems.length > 0 ? { images: [], problems: [] } : containerImages(this.#object);
    return this.#images;
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

  /** A location's artifact: its URI and the digest the URI pins or the evidence lists. */
  artifact(uri: string | undefined): Artifact | undefined {
    if (uri === undefined) return undefined;
    return { uri, digest: ociDigest(uri) ?? this.evidence.get(uri)?.digest };
  }
}

/** Walks at most `maxDepth` levels and `maxNodes` values; false as soon as either runs out. */
function withinLimits(value: unknown, depth: number, budget: { nodes: number }): boolean {
  if (--budget.nodes < 0 || depth > INSPECTION_LIMITS.maxDepth) return false;
  if (value === null || typeof value !== 'object') return true;
  for (const child of Array.isArray(value) ? value : Object.values(value))
    if (!withinLimits(child, depth + 1, budget)) return false;
  return true;
}

export function sameArtifact(a: Artifact | undefined, b: Artifact | undefined): boolean {
  return a !== undefined && b !== undefined && a.uri === b.uri && a.digest === b.digest;
}

export function viewObject(object: unknown): ObjectView {
  return new ObjectView(object);
}

export const EVIDENCE_PATHS = {
  artifacts: `metadata.annotations["${ARTIFACTS_ANNOTATION}"]`,
  stable: `metadata.annotations["${STABLE_ANNOTATION}"]`,
} as const;

/** The finding both pinning and signatures report when `aviary.dev/artifacts` cannot be read. */
export function evidenceFindings(view: ObjectView): Finding[] {
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
