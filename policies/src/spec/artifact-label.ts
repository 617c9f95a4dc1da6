/**
 * The pod label that names an artifact in metrics: `aviary.dev/artifact` on each predictor, with
 * the first 12 hex digits of the artifact's digest. It depends on the artifact alone, so a
 * promotion (the canary's record moving to the stable) keeps the label, and with it the revision.
 * 12 hex digits (48 bits) keep the value short in every series while a collision between two
 * artifacts of one release stays negligible.
 */
export const ARTIFACT_LABEL = 'aviary.dev/artifact';

/** The same label as Prometheus names it after relabelling (`labelmap` turns `.` and `/` into `_`). */
export const ARTIFACT_METRIC_LABEL = 'aviary_dev_artifact';

/** The label value for a `sha256:<64 hex>` digest. */
export function artifactLabel(digest: string): string {
  return digest.slice('sha256:'.length, 'sha256:'.length + 12);
}
