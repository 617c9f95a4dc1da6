import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar } from 'yaml';
import { parseYamlStream } from '@aviary/policies';
import { replaceArtifact, type ArtifactRecord } from '../release-edit/artifact.js';
import {
  EditUnsupported,
  lineOf,
  pairOf,
  range,
  specOf,
  splice,
} from '../release-edit/source-ranges.js';
import { AnalyzeError } from './errors.js';

/**
 * The analyzer's edits of one ModelRelease document (`docIndex` in the stream, as the `yaml` parser
 * and `parseYamlStream` count documents), byte-preserving: only the changed values' source ranges
 * move, so comments, quoting, flow mappings and the other documents stay byte for byte. Each result
 * is read back and must mean exactly the intended change, else ROLLOUT_EDIT_UNSUPPORTED (exit 2)
 * and nothing is written.
 */

/** `spec.canary.traffic := n`: a step (the next share) or a rollback (0). */
export function setTraffic(text: string, docIndex: number, n: number): string {
  return guarded(
    text,
    docIndex,
    () => {
      const traffic = pairOf(canaryMap(text, docIndex), 'traffic');
      if (traffic === undefined || !isScalar(traffic.value))
        throw new EditUnsupported('spec.canary.traffic is not a scalar');
      const [start, end] = range(traffic.value);
      return splice(text, [{ start, end, text: String(n) }]);
    },
    (spec) => ({ ...spec, canary: { ...(spec['canary'] as object), traffic: n } }),
  );
}

/**
 * Promotion: the stable's `uri`, `digest`, `signature` and `source` := the canary's, in place (a
 * field the canary lacks is removed from the stable, never left stale), then the `canary` block's
 * lines are removed. `signature` paths are relative to the file, so they stay valid as they move.
 * `rollout` stays: without a canary it is inert, and the next canary pinned reuses it.
 */
export function promote(text: string, docIndex: number): string {
  return guarded(
    text,
    docIndex,
    () => {
      const canary = canaryMap(text, docIndex);
      const field = (key: string) => {
        const pair = pairOf(canary, key);
        if (pair === undefined) return undefined;
        if (!isScalar(pair.value) || typeof pair.value.value !== 'string')
          throw new EditUnsupported(`spec.canary.${key} is not a string`);
        return pair.value.value;
      };
      const record: ArtifactRecord = { uri: field('uri') ?? '', digest: field('digest') ?? '' };
      const signature = field('signature');
      const source = field('source');
      if (signature !== undefined) record.signature = signature;
      if (source !== undefined) record.source = source;
      const moved = replaceArtifact(text, docIndex, 'stable', record);
      const pair = pairOf(specOf(moved, docIndex), 'canary');
      if (pair === undefined) throw new EditUnsupported('spec.canary vanished');
      return splice(moved, [lineOf(moved, pair)]);
    },
    (spec) => {
      const { canary, ...rest } = spec as { canary: Record<string, unknown> };
      const artifact = { ...canary };
      delete artifact['traffic'];
      return { ...rest, stable: artifact };
    },
  );
}

function canaryMap(text: string, docIndex: number) {
  const pair = pairOf(specOf(text, docIndex), 'canary');
  if (pair === undefined || !isMap(pair.value))
    throw new EditUnsupported('spec.canary is not a mapping');
  return pair.value;
}

/**
 * Runs an edit and proves it: every other document reads the same, and this one's `spec` reads
 * as `expected(old spec)`; `stable` and `canary` hold only artifact fields (the schema says so), so
 * replacing them whole in the expectation is exact.
 */
function guarded(
  text: string,
  docIndex: number,
  edit: () => string,
  expected: (spec: Record<string, unknown>) => Record<string, unknown>,
): string {
  const before = parseYamlStream(text, 'release');
  const doc = before.documents[docIndex]?.value as Record<string, unknown> | undefined;
  const spec = doc?.['spec'] as Record<string, unknown> | undefined;
  if (before.diagnostics.length > 0 || spec?.['canary'] === undefined)
    throw unsupported('the document has no canary, or the file does not read cleanly');
  let out: string;
  try {
    out = edit();
  } catch (err) {
    if (err instanceof EditUnsupported) throw unsupported(err.message);
    throw err;
  }
  const after = parseYamlStream(out, 'release');
  const want = before.documents.map((d, i) =>
    i === docIndex ? { ...doc, spec: expected(spec) } : d.value,
  );
  if (
    after.diagnostics.length > 0 ||
    !isDeepStrictEqual(
      after.documents.map((d) => d.value),
      want,
    )
  )
    throw unsupported('the edited file would not mean the intended change');
  return out;
}

function unsupported(why: string): AnalyzeError {
  return new AnalyzeError('ROLLOUT_EDIT_UNSUPPORTED', `cannot edit the release in place: ${why}`);
}
