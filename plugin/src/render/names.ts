import { artifactLabel } from '@aviary/policies';

/**
 * Standard-mode predictor names are derived from the artifact digest, so the name of a candidate
 * never changes while it is a canary and becomes the stable name on promotion, exactly as KServe's
 * promotion rule expects (predictor.name := canary name, model := canary model).
 */
export function predictorName(digest: string): string {
  return `m${artifactLabel(digest)}`;
}
