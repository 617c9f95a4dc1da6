import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import { buildPolicyVerifiers } from '../signature/for-policy.js';
import { loadTrustedRoots, type TrustedRootOrigins } from '../signature/trust-files.js';
import type { SignatureVerifier } from '../signature/types.js';
import { createEngine, type Engine } from './evaluate.js';
import { mergePolicySets, type LoadedPolicy } from './load.js';
import { readPolicyPath } from './read.js';

export interface PolicySetInput {
  /** Policy files or folders ({@link listPolicyFiles}), merged into one set. */
  policies: readonly string[];
  /**
   * Sigstore trusted roots (`trusted_root.json`) by name, for keyless authorities that set
   * `trustedRoot: NAME`. The bundled public-good root is used unless one is named `public-good`.
   */
  trustedRoots?: Readonly<Record<string, string>>;
  /**
   * Relative paths are resolved against it and files are shown relative to it (a CI log names
   * repository paths). Without it, paths are used and shown as given.
   */
  cwd?: string;
  /**
   * Accept a set without policies. Off by default: an empty set admits everything, so a mistyped
   * folder must not quietly become one.
   */
  allowEmpty?: boolean;
}

export interface PolicySet {
  /** The engine of the set; present exactly when `diagnostics` is empty. */
  engine?: Engine;
  /** Sorted by name. */
  policies: LoadedPolicy[];
  /** One verifier per policy that names signature authorities, built once for the set. */
  verifiers: Map<string, SignatureVerifier>;
  trustedRoots: Record<string, unknown>;
  /** Where each trusted root came from (`built-in` or its file). */
  origins: TrustedRootOrigins;
  /** A short hash of the policies and trusted roots loaded: equal sets, equal revisions. */
  revision: string;
  /** Problems that refuse the whole set, each with its file (and line when it has one). */
  diagnostics: Diagnostic[];
  /** Policies that load but do less than they seem to; never a reason to refuse the set. */
  warnings: Diagnostic[];
}

/**
 * The one policy loader of `aviary check`, `test`, `verify`, the generate pre-flight and the
 * webhook (file mode, and the file part of cluster mode), so CI and admission judge alike: policy
 * files and trusted-root files in; the engine, the policies, their signature verifiers and the
 * trusted roots out. A set is all or nothing: any problem in any file (schema, a name defined
 * twice, an unusable key or root) refuses the whole set rather than enforcing part of it. Reads
 * local files only; nothing is fetched.
 */
export async function loadPolicySet(input: PolicySetInput): Promise<PolicySet> {
  const { cwd } = input;
  const resolve = (p: string) => (cwd === undefined ? p : path.resolve(cwd, p));
  const shown = (p: string) => (cwd === undefined ? p : path.relative(cwd, resolve(p)) || p);
  const diagnostics: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const sets: LoadedPolicy[][] = [];
  for (const p of input.policies) {
    const r = await readPolicyPath(resolve(p), shown(p));
    diagnostics.push(...r.diagnostics);
    warnings.push(...r.warnings);
    sets.push(r.policies);
  }
  const { policies, diagnostics: merging } = mergePolicySets(sets);
  diagnostics.push(...merging);
  if (diagnostics.length === 0 && policies.length === 0 && input.allowEmpty !== true)
    diagnostics.push({
      code: 'POLICY_NONE',
      message: 'no ModelReleasePolicy found (an empty set would admit everything)',
      ...(input.policies.length > 0 ? { file: shown(input.policies[0]!) } : {}),
    });

  const roots = await loadTrustedRoots(
    Object.fromEntries(
      Object.entries(input.trustedRoots ?? {}).map(([name, file]) => [name, resolve(file)]),
    ),
  );
  for (const d of roots.diagnostics)
    diagnostics.push(d.file === undefined ? d : { ...d, file: shown(d.file) });
  const set = {
    policies,
    verifiers: new Map<string, SignatureVerifier>(),
    trustedRoots: roots.trustedRoots,
    origins: roots.origins,
    revision: revisionOf(policies, roots.trustedRoots),
    diagnostics,
    warnings,
  };
  if (diagnostics.length > 0) return set;
  const built = buildPolicyVerifiers(policies, roots.trustedRoots);
  if (built.diagnostics.length > 0) return { ...set, diagnostics: built.diagnostics };
  const verifiers = built.verifiers;
  const engine = createEngine({ policies, verifierFor: (p) => verifiers.get(p.name) });
  return { ...set, engine, verifiers };
}

function revisionOf(policies: readonly LoadedPolicy[], roots: Record<string, unknown>): string {
  const hash = createHash('sha256');
  for (const p of policies) hash.update(`${p.file}\0${JSON.stringify(p.policy)}\0`);
  for (const name of Object.keys(roots).sort())
    hash.update(`${name}\0${JSON.stringify(roots[name])}\0`);
  return hash.digest('hex').slice(0, 12);
}
