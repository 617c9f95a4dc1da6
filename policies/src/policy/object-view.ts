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
 * mode. Labels, limits and evidence are read when the view is made; model locations per mode and
 * images (read only by the rules that need them) when first asked for.
 */
export class ObjectView {
  /** metadata.labels with string values only. */
  readonly labels: Record<string, string>;
  /** The mode the object's annotation states; undefined leaves it to the cluster default. */
  readonly declaredMode: DeploymentMode | undefined;
  /**
   * Why the object cannot be read at all, if it cannot: beyond the inspection limits nothing it
   * contains can be shown to be pinned, signed or stepped.
   */
  readonly limitProblems: Finding[];
  readonly evidence: Map<string, ArtifactEvidence>;
  readonly evidenceProblem: EvidenceProblem | undefined;
  readonly stable: StableRecord | undefined;
  readonly stableProblem: EvidenceProblem | undefined;
  readonly #object: Obj;
  readonly #readings = new Map<DeploymentMode, Reading>();
  #images: { images: ImageField[]; problems: Finding[] } | undefined;

  constructor(object: unknown) {
    this.#object = objectAt(object);
    const metadata = objectAt(this.#object['metadata']);
    const annotations = objectAt(metadata['annotations']);
    this.labels = Object.fromEntries(
      Object.entries(objectAt(metadata['labels'])).filter(([, v]) => typeof v === 'string'),
    ) as Record<string, string>;
    this.declaredMode = declaredMode(metadata);
    this.limitProblems = withinLimits(this.#object)
      ? []
      : [
          {
            code: 'OBJECT_UNINSPECTABLE',
            path: 'spec',
            message: `the object is deeper than ${INSPECTION_LIMITS.maxDepth} levels or has more than ${INSPECTION_LIMITS.maxNodes} fields`,
          },
        ];
    const artifacts = parseArtifacts(annotations);
    this.evidence = new Map('entries' in artifacts ? artifacts.entries.map((e) => [e.uri, e]) : []);
    this.evidenceProblem = 'problem' in artifacts ? artifacts.problem : undefined;
    const stable = parseStable(annotations);
    this.stable = 'record' in stable ? stable.record : undefined;
    this.stableProblem = 'problem' in stable ? stable.problem : undefined;
  }

  /** Model locations as KServe reads them in `mode`; several policies may ask for the same one. */
  reading(mode: DeploymentMode): Reading {
    let r = this.#readings.get(mode);
    if (r === undefined) {
      r = readModels(this.#object, mode);
      this.#readings.set(mode, r);
    }
    return r;
  }

  /** Every container image the object makes a pod pull; none when it is beyond the limits. */
  get images(): { images: ImageField[]; problems: Finding[] } {
    this.#images ??=
      this.limitProblems.length > 0 ? { images: [], problems: [] } : containerImages(this.#object);
    return this.#images;
  }

  /** A location's artifact: its URI and the digest the URI pins or the evidence lists. */
  artifact(uri: string | undefined): Artifact | undefined {
    if (uri === undefined) return undefined;
    return { uri, digest: ociDigest(uri) ?? this.evidence.get(uri)?.digest };
  }
}

/** Whether `object` has at most `maxNodes` values, none nested deeper than `maxDepth`. */
function withinLimits(object: unknown): boolean {
  let nodes = 0;
  const visit = (value: unknown, depth: number): boolean => {
    if (++nodes > INSPECTION_LIMITS.maxNodes || depth > INSPECTION_LIMITS.maxDepth) return false;
    if (value === null || typeof value !== 'object') return true;
    return Object.values(value).every((child) => visit(child, depth + 1));
  };
  return visit(object, 0);
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
