/**
 * Every place an InferenceService can name a model artifact. The walk is generic on purpose: it
 * finds `storageUri` at any depth (current `model`, legacy framework keys, transformer, explainer,
 * canary entries, fields KServe adds later), every `storageUris[].uri`, and the `STORAGE_URI`
 * environment variable custom containers use, so no field is a bypass.
 */
export interface UriField {
  path: string;
  /** The value when it is a string; undefined when the field has the wrong type. */
  uri: string | undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Default: 10,000 nodes. Admission objects are bounded by the body limit; this bounds the walk too. */
const MAX_NODES = 10_000;
/** Default: 64 levels; deeper input is reported instead of walked (and can never overflow the stack). */
const MAX_DEPTH = 64;

export function collectUriFields(spec: unknown): UriField[] {
  const out: UriField[] = [];
  let budget = MAX_NODES;
  let tooDeep = false;
  // The path is kept as a stack of segments and only turned into a string for a field found:
  // admission walks every node of two objects per review, and almost none is a URI field.
  const at: (string | number)[] = [];
  const pathOf = (...tail: (string | number)[]) =>
    ['spec', ...at, ...tail]
      .map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`))
      .join('');
  const walk = (value: unknown, depth: number): void => {
    if (--budget < 0) return;
    if (depth > MAX_DEPTH) {
      tooDeep = true;
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        at.push(i);
        walk(value[i], depth + 1);
        at.pop();
      }
      return;
    }
    if (!isObj(value)) return;
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (key === 'storageUri') {
        out.push({ path: pathOf(key), uri: typeof v === 'string' ? v : undefined });
      } else if (key === 'storageUris' && Array.isArray(v)) {
        v.forEach((entry: unknown, i) => {
          const uri = isObj(entry) ? entry['uri'] : undefined;
          out.push({ path: pathOf(key, i, 'uri'), uri: typeof uri === 'string' ? uri : undefined });
        });
      } else if (key === 'env' && Array.isArray(v)) {
        v.forEach((e: unknown, i) => {
          if (isObj(e) && e['name'] === 'STORAGE_URI') {
            out.push({
              path: pathOf(key, i, 'value'),
              uri: typeof e['value'] === 'string' ? e['value'] : undefined,
            });
          }
        });
      } else if (v !== null && typeof v === 'object') {
        at.push(key);
        walk(v, depth + 1);
        at.pop();
      } else if (--budget >= 0 && depth + 1 > MAX_DEPTH) {
        // What walking the scalar would do, without the call.
        tooDeep = true;
      }
    }
  };
  walk(spec, 0);
  // An object too large or too deep to inspect completely cannot be shown to be pinned.
  if (budget < 0 || tooDeep) out.push({ path: 'spec', uri: undefined });
  return out;
}
