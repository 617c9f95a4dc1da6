import path from 'node:path';
import { buildPolicyVerifiers } from '@aviary/policies/signature';
import { type Diagnostic } from '@aviary/policies';
import {
  createEngine,
  readPolicyPath,
  type Engine,
  type LoadedPolicy,
} from '@aviary/policies/engine';

/**
 * The plugin's composition root for policy evaluation (`check`, `test`, the generate pre-flight):
 * policies read from disk, one engine built per policy set.
 */
export async function loadEngine(
  policyPath: string,
  cwd: string,
): Promise<{ engine?: Engine; diagnostics: Diagnostic[]; warnings: Diagnostic[] }> {
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
  return { ...buildEngine(policies), warnings };
}

/** One engine per policy set, with each policy's signature verifier built once. */
export function buildEngine(policies: readonly LoadedPolicy[]): {
  engine?: Engine;
  diagnostics: Diagnostic[];
} {
  const built = buildPolicyVerifiers(policies);
  if (built.diagnostics.length > 0) return { diagnostics: built.diagnostics };
  return {
    engine: createEngine({ policies, verifierFor: (p) => built.verifiers.get(p.name) }),
    diagnostics: [],
  };
}
