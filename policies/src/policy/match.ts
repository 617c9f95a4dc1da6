import type { LabelSelector, ModelReleasePolicy } from './schema.js';

/** Kubernetes label-selector semantics: every matchLabels entry and every expression must hold. */
export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (selector === undefined) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const value = has ? labels[e.key] : undefined;
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(value!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/**
 * Whether a policy applies: every criterion it states must hold; no criteria matches everything.
 * The object selector holds when the new object or the old one (on UPDATE) matches, as the
 * apiserver decides for a webhook's objectSelector, so dropping a label in the same UPDATE that
 * changes the model does not step out of the policy. A criterion on an unknown namespace or
 * unknown namespace labels (undefined) is assumed to hold.
 */
export function policyMatches(
  match: ModelReleasePolicy['spec']['match'],
  namespace: string | undefined,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
  objectLabels: Readonly<Record<string, string>>,
  oldObjectLabels?: Readonly<Record<string, string>>,
): boolean {
  if (match === undefined) return true;
  if (
    namespace !== undefined &&
    match.namespaces !== undefined &&
    !match.namespaces.includes(namespace)
  )
    return false;
  if (namespaceLabels !== undefined && !selectorMatches(match.namespaceSelector, namespaceLabels))
    return false;
  return (
    selectorMatches(match.objectSelector, objectLabels) ||
    (oldObjectLabels !== undefined && selectorMatches(match.objectSelector, oldObjectLabels))
  );
}
