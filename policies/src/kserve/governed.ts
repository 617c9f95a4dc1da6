/**
 * The kinds the policy engine judges, by API group and kind. Any version counts, as the webhook is
 * registered with `matchPolicy: Equivalent`. Candidates for later (e.g. `TrainedModel`, which
 * also names a `storageUri`) are added here once the rules understand them; the webhook's
 * registration in `deploy/webhook/` and its request filter then have to follow by hand.
 */
export const GOVERNED_KINDS: readonly { group: string; kind: string }[] = [
  { group: 'serving.kserve.io', kind: 'InferenceService' },
];

/** Whether an untrusted manifest is of a governed kind (its group is `apiVersion` up to the last `/`). */
export function isGovernedObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const { apiVersion, kind } = value as Record<string, unknown>;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return false;
  const slash = apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  return GOVERNED_KINDS.some((k) => k.group === group && k.kind === kind);
}
