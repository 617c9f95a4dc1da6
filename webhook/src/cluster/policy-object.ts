import type { Diagnostic } from '@aviary/policies';
import { parsePolicies, type LoadedPolicy } from '@aviary/policies/engine';

/** The apiserver-maintained parts of an object that are not part of the policy document. */
const SERVER_KEYS = new Set(['status']);

/** Where a custom resource's diagnostics point: `ModelReleasePolicy/<name>` (no file). */
export function crSource(name: string): string {
  return `ModelReleasePolicy/${name}`;
}

/**
 * Validates one ModelReleasePolicy custom resource exactly like a policy file: the object is
 * written as (multi-line JSON, i.e. YAML) text and read back through the engine's own
 * `parsePolicies`, so the JSON-schema validation, the authority checks, the regex-safety checks
 * and the step checks are the same code as `aviary check` and `--policies`. Server-managed
 * metadata (uid, resourceVersion, managedFields, …) and `status` are dropped first; every other
 * top-level key is kept so the strict schema still sees it.
 */
export function policyFromObject(obj: unknown): {
  policy?: LoadedPolicy;
  diagnostics: Diagnostic[];
  warnings?: Diagnostic[];
} {
  const o = (obj ?? {}) as Record<string, unknown>;
  const meta = (o['metadata'] ?? {}) as Record<string, unknown>;
  const name = typeof meta['name'] === 'string' ? meta['name'] : '?';
  const doc: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (SERVER_KEYS.has(k)) continue;
    doc[k] = k === 'metadata' ? { name: meta['name'] } : v;
  }
  const source = crSource(name);
  const r = parsePolicies(JSON.stringify(doc, null, 2), source);
  if (r.diagnostics.length > 0 || r.policies.length !== 1) {
    return {
      diagnostics:
        r.diagnostics.length > 0
          ? r.diagnostics
          : [{ code: 'POLICY_SCHEMA', message: 'not a ModelReleasePolicy', file: source }],
    };
  }
  return { policy: r.policies[0]!, diagnostics: [], warnings: r.warnings };
}
