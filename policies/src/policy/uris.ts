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
  const w: Walk = { out: [], budget: MAX_NODES, tooDeep: false, at: [] };
  walk(w, spec, 0);
  // An object too large or too deep to inspect completely cannot be shown to be pinned.
  if (w.budget < 0 || w.tooDeep) w.out.push({ path: 'spec', uri: undefined });
  return w.out;
}

/**
 * One walk's state. The path is kept as a stack of segments and only turned into a string for a
 * field found; the walk allocates nothing per node otherwise: admission walks every node of two
 * objects per review, and almost none is a URI field.
 */
interface Walk {
  out: UriField[];
  budget: number;
  tooDeep: boolean;
  at: (string | number)[];
}

function pathOf(at: readonly (string | number)[], ...tail: (string | number)[]): string {
  let path = 'spec';
  for (const s of at) path += typeof s === 'number' ? `[${s}]` : `.${s}`;
  for (const s of tail) path += typeof s === 'number' ? `[${s}]` : `.${s}`;
  return path;
}

function walk(w: Walk, value: unknown, depth: number): void {
  if (--w.budget < 0) return;
  if (depth > MAX_DEPTH) {
    w.tooDeep = true;
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      w.at.push(i);
      walk(w, value[i], depth + 1);
      w.at.pop();
    }
    return;
  }
  if (!isObj(value)) return;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const v = value[key];
    if (key === 'storageUri') {
      w.out.push({ path: pathOf(w.at, key), uri: typeof v === 'string' ? v : undefined });
    } else if (key === 'storageUris' && Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const entry: unknown = v[i];
        const uri = isObj(entry) ? entry['uri'] : undefined;
        w.out.push({
          path: pathOf(w.at, key, i, 'uri'),
          uri: typeof uri === 'string' ? uri : undefined,
        });
      }
    } else if (key === 'env' && Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const e: unknown = v[i];
        if (isObj(e) && e['name'] === 'STORAGE_URI') {
          w.out.push({
            path: pathOf(w.at, key, i, 'value'),
            uri: typeof e['value'] === 'string' ? e['value'] : undefined,
          });
        }
      }
    } else if (v !== null && typeof v === 'object') {
      w.at.push(key);
      walk(w, v, depth + 1);
      w.at.pop();
    } else if (--w.budget >= 0 && depth + 1 > MAX_DEPTH) {
      // What walking the scalar would do, without the call.
      w.tooDeep = true;
    }
  }
}
