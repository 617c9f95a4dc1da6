import { UsageError, type Diagnostic, type InferenceService } from '@aviary/policies';
import { formatFinding } from '@aviary/policies/engine';
import type { CommandIO } from './io.js';
import type { PluginOptions } from './params.js';
import { loadEngine } from './policy-runtime.js';
import { resolveInside } from './source/safe-path.js';

export interface PreflightResult {
  denied: boolean;
  diagnostics: Diagnostic[];
}

/**
 * Runs the admission policies on the rendered InferenceServices during `generate`, so Argo CD shows
 * a violation before the apiserver does. It sees no old object (the cluster state is unknown
 * here), so UPDATE-only rules such as maxIncrease are left to the webhook.
 */
export async function preflight(
  io: CommandIO,
  options: PluginOptions,
  root: string,
  objects: readonly InferenceService[],
  namespace: string,
): Promise<PreflightResult> {
  if (options.preflight === 'off') return { denied: false, diagnostics: [] };
  if (options.policies === '') {
    throw new UsageError(
      'PARAM_INVALID',
      'parameter "preflight" needs parameter "policies" (a path inside the repository)',
    );
  }
  const target = await resolveInside(root, root, options.policies);
  const { engine, diagnostics } = await loadEngine(target, root);
  if (engine === undefined) return { denied: true, diagnostics };
  let denied = false;
  for (const object of objects) {
    const d = engine.evaluate({
      object,
      operation: 'CREATE',
      namespace,
      namespaceLabels: undefined,
    });
    const name = object.metadata.name ?? '';
    for (const f of d.violations) {
      io.stderr.write(
        `aviary: pre-flight ${options.preflight === 'enforce' ? 'DENIED' : 'would deny'} ${name}: ${formatFinding(f)}\n`,
      );
    }
    // The cluster state is unknown here, so "this is a CREATE" is an assumption, not news.
    for (const f of d.warnings.filter((w) => w.code !== 'CANARY_ON_CREATE'))
      io.stderr.write(`aviary: pre-flight warning ${name}: ${formatFinding(f)}\n`);
    if (!d.allowed && options.preflight === 'enforce') denied = true;
  }
  return { denied, diagnostics: [] };
}
