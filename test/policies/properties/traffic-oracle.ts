import { ociDigest, readEvidence } from './artifacts.js';
import { COMPONENTS, locate, type Reading } from './kserve-oracle.js';

/**
 * When an UPDATE sends all of a component's traffic to an artifact that served nothing before,
 * in KServe v0.20.0's terms (refs under pkg/). An artifact is (URI, digest): the digest an OCI URI
 * pins, else the evidence digest; when a digest is unknown nothing is claimed.
 */

type Obj = Record<string, any>;
interface Artifact {
  uri: string;
  digest?: string;
}

function artifact(object: unknown, uri: string): Artifact {
  const digest = ociDigest(uri) ?? readEvidence(object).get(uri)?.digest;
  return { uri, digest: typeof digest === 'string' ? digest : undefined };
}

/** New = its digest is known and it differs from each earlier artifact whose identity is known. */
function isNew(a: Artifact, before: Artifact[]): boolean {
  if (a.digest === undefined) return false;
  return before.every((b) => b.uri !== a.uri || (b.digest !== undefined && b.digest !== a.digest));
}

/** canaryTrafficPercent below 100: the latest revision gets only that share. */
const isStep = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 100;

/** aviary.dev/stable: Aviary's record of the revision serving the rest of the traffic. */
function stableRecord(object: unknown): Artifact | undefined {
  try {
    const r = JSON.parse((object as Obj)?.metadata?.annotations?.['aviary.dev/stable']);
    return typeof r?.uri === 'string' && typeof r?.digest === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Reasons, empty when none: which component gives a new artifact 100 % without a step. */
export function newArtifactAtFull(old: unknown, next: unknown, reading: Reading): string[] {
  const was = locate(old, reading);
  const now = locate(next, reading);
  const reasons: string[] = [];
  const share = (object: unknown, c: string) => (object as Obj)?.spec?.[c]?.canaryTrafficPercent;

  if (reading === 'Knative') {
    // Per component, the latest revision (this spec) gets canaryTrafficPercent and the previous
    // rolled-out revision the rest; without a share the latest gets 100 %
    // (reconcilers/knative/ksvc_reconciler.go:132-164).
    for (const c of COMPONENTS) {
      const uri = now.serving[c];
      const oldUri = was.serving[c];
      if (!uri || !oldUri || isStep(share(next, c))) continue;
      const before = [artifact(old, oldUri)];
      if (isStep(share(old, c))) {
        // The rolled-out revision is in the status, not the object; only the predictor's is
        // recorded (aviary.dev/stable).
        const record = c === 'predictor' ? stableRecord(old) : undefined;
        if (!record) continue;
        before.push(record);
      }
      if (isNew(artifact(next, uri), before)) reasons.push(`${c}: new artifact at 100 %`);
    }
    return reasons;
  }

  // Standard: the ingress routes to the stable predictor only (notes §4), so a new stable
  // artifact takes all traffic unless it already ran as a canary entry.
  const served = [was.serving.predictor, ...was.canaries.map((e) => e.uri)]
    .filter((u): u is string => u !== undefined)
    .map((u) => artifact(old, u));
  const stable = now.serving.predictor;
  if (stable && was.serving.predictor && isNew(artifact(next, stable), served))
    reasons.push('predictor: new stable artifact');
  for (const [i, entry] of now.canaries.entries())
    if (entry.uri && entry.traffic === 100 && isNew(artifact(next, entry.uri), served))
      reasons.push(`canary[${i}]: new artifact at 100 %`);
  // Transformer and explainer have no canary in Standard mode: a change takes everything.
  for (const c of ['transformer', 'explainer'] as const) {
    const uri = now.serving[c];
    const oldUri = was.serving[c];
    if (uri && oldUri && isNew(artifact(next, uri), [artifact(old, oldUri)]))
      reasons.push(`${c}: changed without a canary`);
  }
  return reasons;
}
