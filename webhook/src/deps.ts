import { createHash } from 'node:crypto';
import { type Diagnostic } from '@aviary/policies';
import {
  createEngine,
  mergePolicySets,
  readPolicyPath,
  type LoadedPolicy,
} from '@aviary/policies/engine';
import { reviewPolicyObject } from './policy-object.js';
import { buildPolicyVerifiers, loadTrustedRoots } from '@aviary/policies/signature';
import type { PolicySnapshot } from './state.js';
import { fingerprintFiles, policyFiles } from './watch.js';

/**
 * The webhook's composition root for policy evaluation: policy files and trust material in, one
 * immutable {@link PolicySnapshot} out (engine + one signature verifier per policy, built once
 * per load and shared by every request). Nothing else in the webhook builds an engine.
 */
export interface PolicySource {
  /** A policy file, or a folder of `*.yaml`/`*.yml` files (a ConfigMap volume works). */
  policies: string;
  /**
   * Sigstore trusted roots (`trusted_root.json`) by name, for keyless authorities that set
   * `trustedRoot: NAME`. The public-good root ships with the package as `public-good`; a file
   * named `public-good` replaces it (a key rotation or revocation).
   */
  trustedRoots?: Readonly<Record<string, string>>;
}

/** Every file a source reads, for the reload watcher. */
export async function sourceFiles(source: PolicySource): Promise<string[]> {
  return [...(await policyFiles(source.policies)), ...Object.values(source.trustedRoots ?? {})];
}

export async function loadPolicySnapshot(
  source: PolicySource,
): Promise<{ snapshot?: PolicySnapshot; diagnostics: Diagnostic[]; warnings?: Diagnostic[] }> {
  const revision = (await fingerprintFiles(await sourceFiles(source))).slice(0, 12);
  const files = await policyFiles(source.policies);
  const diagnostics: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const sets: LoadedPolicy[][] = [];
  for (const file of files) {
    const r = await readPolicyPath(file);
    diagnostics.push(...r.diagnostics);
    warnings.push(...r.warnings);
    sets.push(r.policies);
  }
  const merged = mergePolicySets(sets);
  diagnostics.push(...merged.diagnostics);
  if (diagnostics.length === 0 && merged.policies.length === 0) {
    diagnostics.push({
      code: 'POLICY_NONE',
      message: 'no ModelReleasePolicy found (an empty set would admit everything)',
      file: source.policies,
    });
  }

  const roots = await loadTrustedRoots(source.trustedRoots);
  diagnostics.push(...roots.diagnostics);
  if (diagnostics.length > 0) return { diagnostics };
  const trustedRoots = roots.trustedRoots;

  const policies = merged.policies;
  const built = buildPolicyVerifiers(policies, trustedRoots);
  if (built.diagnostics.length > 0) return { diagnostics: built.diagnostics };
  const engine = createEngine({ policies, verifierFor: (p) => built.verifiers.get(p.name) });
  return {
    snapshot: {
      engine,
      names: policies.map((p) => p.name),
      unenforceable: [],
      revision,
      loadedAt: new Date(),
      reviewPolicy: (obj) =>
        reviewPolicyObject(obj, trustedRoots, new Set(policies.map((p) => p.name))),
      trustedRoots: roots.origins,
    },
    diagnostics: [],
    // A warning never keeps a policy from loading: it is logged beside the load.
    warnings,
  };
}

/** Names of policies whose match uses a namespaceSelector. */
export function selectorPolicies(snapshot: PolicySnapshot): string[] {
  return snapshot.engine.policies
    .filter((p) => p.policy.spec.match?.namespaceSelector !== undefined)
    .map((p) => p.name);
}

/** A short, stable id of some content, for logs. */
export function shortHash(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
