/**
 * The deepest nesting read in untrusted input, one limit wherever it arrives: a YAML document, an
 * object the engine inspects, an AdmissionReview's objects. A real InferenceService nests about 12
 * levels; anything deeper is refused rather than walked.
 */
export const MAX_OBJECT_DEPTH = 64;

/** A JSON object as untrusted input arrives: any key may be missing or of the wrong type. */
export type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The object at `value`, or an empty one, so readers of untrusted input never branch on type. */
export function objectAt(value: unknown): Obj {
  return isObject(value) ? value : {};
}
