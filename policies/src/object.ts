/** A JSON object as untrusted input arrives: any key may be missing or of the wrong type. */
export type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The object at `value`, or an empty one, so readers of untrusted input never branch on type. */
export function objectAt(value: unknown): Obj {
  return isObject(value) ? value : {};
}
