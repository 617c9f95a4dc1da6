import type { Diagnostic } from '@aviary/policies';
import { parsePolicies, type LoadedPolicy, type SignatureCheck } from '@aviary/policies/engine';
import { buildPolicyVerifiers } from '@aviary/policies/signature';

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
          ? r.diagnostics.map(unplaced)
          : [{ code: 'POLICY_SCHEMA', message: 'not a ModelReleasePolicy', file: source }],
    };
  }
  return { policy: r.policies[0]!, diagnostics: [], warnings: r.warnings.map(unplaced) };
}

/**
 * Lines and columns point into the JSON text written above, which nobody sees; the path says where
 * in the object the problem is.
 */
function unplaced(d: Diagnostic): Diagnostic {
  const rest = { ...d };
  delete rest.line;
  delete rest.column;
  return rest;
}

/** A policy custom resource judged whole: what the webhook would enforce, or why it cannot. */
export interface PolicyReview {
  policy?: LoadedPolicy;
  verifier?: SignatureCheck;
  diagnostics: Diagnostic[];
  warnings: Diagnostic[];
}

/**
 * The one validation of a ModelReleasePolicy custom resource, used both when the apiserver asks
 * whether a write may be stored and when a stored object is loaded, so the two can never
 * disagree: the document checks of {@link policyFromObject}, then its signature verifiers against
 * the trusted roots this webhook has, and the name against the file policies (which win).
 */
export function reviewPolicyObject(
  obj: unknown,
  trustedRoots: Record<string, unknown>,
  fileNames: ReadonlySet<string>,
): PolicyReview {
  const r = policyFromObject(obj);
  const warnings = r.warnings ?? [];
  if (!r.policy) return { diagnostics: r.diagnostics, warnings };
  const name = r.policy.name;
  if (fileNames.has(name))
    return {
      diagnostics: [
        {
          code: 'POLICY_DUPLICATE_NAME',
          message: `policy "${name}" is also defined in the policy files, which take precedence`,
          file: crSource(name),
        },
      ],
      warnings,
    };
  const built = buildPolicyVerifiers([r.policy], trustedRoots);
  if (built.diagnostics.length > 0)
    return { diagnostics: built.diagnostics.map(unplaced), warnings };
  const verifier = built.verifiers.get(name);
  return {
    policy: r.policy,
    ...(verifier !== undefined ? { verifier } : {}),
    diagnostics: [],
    warnings,
  };
}
