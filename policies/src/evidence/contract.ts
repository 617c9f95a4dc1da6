/**
 * The evidence contract: how an InferenceService carries, readable from the object alone, the
 * digest and signature bundle of every artifact it names. Rendered by the plugin, read by the
 * webhook, and documented in the README so hand-written manifests can carry it too.
 *
 * - `aviary.dev/artifacts`: JSON array of `{"uri", "digest", "bundle"?}`, sorted by URI, one entry
 *   per URI; `bundle` is the Sigstore bundle JSON object, absent when the artifact is unsigned.
 * - `aviary.dev/stable`: JSON `{"uri", "digest"}` of the artifact serving the non-canary traffic.
 */

import { isObject } from '../object.js';

export const ARTIFACTS_ANNOTATION = 'aviary.dev/artifacts';
export const STABLE_ANNOTATION = 'aviary.dev/stable';

export interface ArtifactEvidence {
  uri: string;
  digest: string;
  bundle?: unknown;
}

export interface StableRecord {
  uri: string;
  digest: string;
}

/** Serializes evidence deterministically: sorted by URI, fixed key order, compact JSON. */
export function formatArtifacts(entries: readonly ArtifactEvidence[]): string {
  const byUri = new Map<string, ArtifactEvidence>();
  for (const e of entries) byUri.set(e.uri, e);
  const sorted = [...byUri.values()].sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  return JSON.stringify(
    sorted.map((e) =>
      e.bundle === undefined
        ? { uri: e.uri, digest: e.digest }
        : { uri: e.uri, digest: e.digest, bundle: e.bundle },
    ),
  );
}

export function formatStable(record: StableRecord): string {
  return JSON.stringify({ uri: record.uri, digest: record.digest });
}

export type EvidenceProblem = { code: 'EVIDENCE_MALFORMED'; message: string };

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Reads `aviary.dev/artifacts` from untrusted annotations. Returns an empty list when the
 * annotation is absent and a problem when it is present but not in the contract's shape.
 */
export function parseArtifacts(
  annotations: Record<string, unknown> | undefined,
): { entries: ArtifactEvidence[] } | { problem: EvidenceProblem } {
  const raw = annotations?.[ARTIFACTS_ANNOTATION];
  if (raw === undefined) return { entries: [] };
  const bad = (message: string) => ({ problem: { code: 'EVIDENCE_MALFORMED' as const, message } });
  if (typeof raw !== 'string') return bad(`${ARTIFACTS_ANNOTATION} must be a string`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return bad(`${ARTIFACTS_ANNOTATION} is not valid JSON`);
  }
  if (!Array.isArray(parsed)) return bad(`${ARTIFACTS_ANNOTATION} must be a JSON array`);
  const entries: ArtifactEvidence[] = [];
  const seen = new Set<string>();
  for (const [i, item] of parsed.entries()) {
    if (!isObject(item)) return bad(`${ARTIFACTS_ANNOTATION}[${i}] must be an object`);
    const { uri, digest, bundle, ...rest } = item;
    if (Object.keys(rest).length > 0)
      return bad(`${ARTIFACTS_ANNOTATION}[${i}] has unknown field "${Object.keys(rest)[0]}"`);
    if (typeof uri !== 'string' || uri === '')
      return bad(`${ARTIFACTS_ANNOTATION}[${i}].uri must be a non-empty string`);
    if (typeof digest !== 'string' || !DIGEST.test(digest)) {
      return bad(`${ARTIFACTS_ANNOTATION}[${i}].digest must be sha256:<64 hex>`);
    }
    if (seen.has(uri)) return bad(`${ARTIFACTS_ANNOTATION} lists ${uri} twice`);
    seen.add(uri);
    entries.push(bundle === undefined ? { uri, digest } : { uri, digest, bundle });
  }
  return { entries };
}

/** Reads `aviary.dev/stable`; undefined when absent, a problem when malformed. */
export function parseStable(
  annotations: Record<string, unknown> | undefined,
): { record?: StableRecord } | { problem: EvidenceProblem } {
  const raw = annotations?.[STABLE_ANNOTATION];
  if (raw === undefined) return {};
  const bad = (message: string) => ({ problem: { code: 'EVIDENCE_MALFORMED' as const, message } });
  if (typeof raw !== 'string') return bad(`${STABLE_ANNOTATION} must be a string`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return bad(`${STABLE_ANNOTATION} is not valid JSON`);
  }
  if (!isObject(parsed)) return bad(`${STABLE_ANNOTATION} must be an object`);
  const { uri, digest } = parsed;
  if (typeof uri !== 'string' || uri === '')
    return bad(`${STABLE_ANNOTATION}.uri must be a non-empty string`);
  if (typeof digest !== 'string' || !DIGEST.test(digest))
    return bad(`${STABLE_ANNOTATION}.digest must be sha256:<64 hex>`);
  return { record: { uri, digest } };
}
