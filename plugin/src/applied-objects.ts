import { governedKindOfObject, isObject, type Obj } from '@aviary/policies';

export interface AppliedObject {
  object: Obj;
  /**
   * Where it lands: its own namespace, else the destination; undefined when neither is known, and
   * for a cluster-scoped kind, which lands in none (every policy then judges it).
   */
  namespace: string | undefined;
}

/**
 * The governed objects (rendered or passed through) that Argo CD would apply from `generate`'s
 * output, each with the namespace it lands in. Argo CD's repo-server replaces any object with an
 * `items` array (Kubernetes' `IsList`, whatever its kind) by those items, so a List is looked into:
 * otherwise it could carry an InferenceService past the pre-flight.
 */
export function governedObjects(
  output: readonly unknown[],
  destination: string | undefined,
): AppliedObject[] {
  const applied = output.flatMap((o): unknown[] =>
    isObject(o) && Array.isArray(o['items']) ? (o['items'] as unknown[]) : [o],
  );
  return applied.filter(isObject).flatMap((object) => {
    const governed = governedKindOfObject(object);
    if (governed === undefined) return [];
    // Argo CD applies a cluster-scoped object without a namespace, whatever the destination.
    if (!governed.namespaced) return [{ object, namespace: undefined }];
    const meta = object['metadata'];
    const own = isObject(meta) ? meta['namespace'] : undefined;
    // Argo CD fills in the destination only where the namespace is missing, empty or not a string.
    const namespace = typeof own === 'string' && own !== '' ? own : destination || undefined;
    return [{ object, namespace }];
  });
}
