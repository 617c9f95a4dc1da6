import { artifactLabel } from '../spec/artifact-label.js';
import type { AnalysisTarget } from './types.js';

/**
 * The parts of a ModelRelease the analysis reads. ModelRelease is assignable to it once its schema
 * has `spec.rollout`; stated structurally so this module does not wait on that field's type.
 */
export interface ReleaseForAnalysis {
  metadata: { name: string; namespace?: string };
  spec: {
    stable: { digest: string };
    canary?: { digest: string; traffic: number };
    rollout?: { steps: readonly number[]; onFailure?: 'rollback' | 'hold' };
  };
}

/**
 * What the analysis needs from a release, or undefined when there is nothing to analyse (no
 * canary, traffic 0, or no rollout): the decision is then `none`.
 */
export function analysisTarget(
  release: ReleaseForAnalysis,
  namespaceFallback?: string,
): AnalysisTarget | undefined {
  const { canary, stable, rollout } = release.spec;
  if (canary === undefined || rollout === undefined || canary.traffic === 0) return undefined;
  const namespace = release.metadata.namespace ?? namespaceFallback;
  const name = release.metadata.name;
  const target: AnalysisTarget = {
    release: namespace === undefined ? name : `${namespace}/${name}`,
    name,
    canary: {
      digest: canary.digest,
      artifact: artifactLabel(canary.digest),
      traffic: canary.traffic,
    },
    stable: { digest: stable.digest, artifact: artifactLabel(stable.digest) },
    steps: [...rollout.steps],
    onFailure: rollout.onFailure ?? 'rollback',
  };
  if (namespace !== undefined) target.namespace = namespace;
  return target;
}
