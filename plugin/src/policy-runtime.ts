import path from 'node:path';
import { createEngine, readPolicyPath, type Diagnostic, type Engine } from '@aviary/policies';

/**
 * The plugin's composition root for policy evaluation (`check`, `test`, the generate pre-flight):
 * policies read from disk, one engine built per policy set.
 */
export async function loadEngine(
  policyPath: string,
  cwd: string,
): Promise<{ engine?: Engine; diagnostics: Diagnostic[] }> {
  const absolute = path.resolve(cwd, policyPath);
  const { policies, diagnostics } = await readPolicyPath(
    absolute,
    path.relative(cwd, absolute) || policyPath,
  );
  if (diagnostics.length > 0) return { diagnostics };
  if (policies.length === 0) {
    return {
      diagnostics: [
        { code: 'POLICY_NONE', message: 'no ModelReleasePolicy found', file: policyPath },
      ],
    };
  }
  // TODO(signatures): pass verifierFor once policies/src/signature lands; until then a policy with
  // signatures.required denies with SIG_NO_VERIFIER rather than pretending to verify.
  return { engine: createEngine({ policies }), diagnostics: [] };
}
