import { isObject } from '../object.js';

/** A kind the policy engine judges. */
export interface GovernedKind {
  group: string;
  kind: string;
  /**
   * False for a cluster-scoped kind: it has no namespace, so it is judged by every policy whatever
   * its namespace criteria (it serves every namespace); its objectSelector still applies.
   */
  namespaced: boolean;
}

/**
 * The kinds the policy engine judges, by API group and kind. Any version counts, as the webhook is
 * registered with `matchPolicy: Equivalent`. The engine tells them apart by the object's `kind`.
 * Adding one here makes the pre-flight and the webhook's request filter judge it; the webhook's
 * registration in `deploy/webhook/validating-webhook.yaml` has to follow by hand
 * (test/webhook/registration.test.ts checks it).
 */
export const GOVERNED_KINDS: readonly GovernedKind[] = [
  { group: 'serving.kserve.io', kind: 'InferenceService', namespaced: true },
  { group: 'serving.kserve.io', kind: 'TrainedModel', namespaced: true },
  { group: 'serving.kserve.io', kind: 'ServingRuntime', namespaced: true },
  { group: 'serving.kserve.io', kind: 'ClusterServingRuntime', namespaced: false },
];

/** The governed kind of that group and kind, if any. */
export function governedKind(group: string, kind: string): GovernedKind | undefined {
  return GOVERNED_KINDS.find((k) => k.group === group && k.kind === kind);
}

/** The governed kind of an untrusted manifest (its group is `apiVersion` up to the last `/`), if any. */
export function governedKindOfObject(value: unknown): GovernedKind | undefined {
  if (!isObject(value)) return undefined;
  const { apiVersion, kind } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const slash = apiVersion.lastIndexOf('/');
  return governedKind(slash < 0 ? '' : apiVersion.slice(0, slash), kind);
}

/** Whether an untrusted manifest is of a governed kind. */
export function isGovernedObject(value: unknown): boolean {
  return governedKindOfObject(value) !== undefined;
}
