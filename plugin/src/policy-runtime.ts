import path from 'node:path';
import {
  buildPolicyVerifiers,
  loadTrustedRoots,
  parseTrustedRootFlags,
  type SignatureVerifier,
} from '@aviary/policies/signature';
import { type Diagnostic } from '@aviary/policies';
import {
  createEngine,
  readPolicyPath,
  type Engine,
  type LoadedPolicy,
} from '@aviary/policies/engine';

/** Trusted roots by name, as verification takes them; undefined: the built-in public-good only. */
export type TrustedRoots = Record<string, unknown> | undefined;

/**
 * The trusted roots of repeated `--trusted-root NAME=FILE` flags (files relative to `cwd`), read
 * and checked the way the webhook reads its own: the same flag, the same code, the same errors.
 * `public-good=FILE` replaces the built-in root, so an offline check sees what admission sees.
 */
export async function trustedRootsFromFlags(
  flags: readonly string[],
  cwd: string,
): Promise<{ trustedRoots: TrustedRoots; diagnostics: Diagnostic[] }> {
  if (flags.length === 0) return { trustedRoots: undefined, diagnostics: [] };
  const files = Object.fromEntries(
    Object.entries(parseTrustedRootFlags(flags)).map(([name, file]) => [
      name,
      path.resolve(cwd, file),
    ]),
  );
  const { trustedRoots, diagnostics } = await loadTrustedRoots(files);
  // Shown as given on the command line, not as resolved.
  for (const d of diagnostics)
    if (d.file !== undefined) d.file = path.relative(cwd, d.file) || d.file;
  return { trustedRoots, diagnostics };
}

/**
 * The plugin's composition root for policy evaluation (`check`, `test`, the generate pre-flight):
 * policies read from disk, one engine built per policy set.
 */
export async function loadEngine(
  policyPath: string,
  cwd: string,
  trustedRoots?: TrustedRoots,
): Promise<{
  engine?: Engine;
  verifiers?: ReadonlyMap<string, SignatureVerifier>;
  diagnostics: Diagnostic[];
  warnings: Diagnostic[];
}> {
  const absolute = path.resolve(cwd, policyPath);
  const { policies, diagnostics, warnings } = await readPolicyPath(
    absolute,
    path.relative(cwd, absolute) || policyPath,
  );
  if (diagnostics.length > 0) return { diagnostics, warnings };
  if (policies.length === 0) {
    return {
      diagnostics: [
        { code: 'POLICY_NONE', message: 'no ModelReleasePolicy found', file: policyPath },
      ],
      warnings,
    };
  }
  return { ...buildEngine(policies, trustedRoots), warnings };
}

/** One engine per policy set, with each policy's signature verifier built once. */
export function buildEngine(
  policies: readonly LoadedPolicy[],
  trustedRoots?: TrustedRoots,
): {
  engine?: Engine;
  /** Each policy's verifier, for checks outside the engine (`aviary pin`). */
  verifiers?: ReadonlyMap<string, SignatureVerifier>;
  diagnostics: Diagnostic[];
} {
  const built = buildPolicyVerifiers(policies, trustedRoots);
  if (built.diagnostics.length > 0) return { diagnostics: built.diagnostics };
  return {
    engine: createEngine({ policies, verifierFor: (p) => built.verifiers.get(p.name) }),
    verifiers: built.verifiers,
    diagnostics: [],
  };
}
