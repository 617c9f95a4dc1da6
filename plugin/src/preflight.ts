import { UsageError, type Diagnostic } from '@aviary/policies';
import path from 'node:path';
import { formatFinding, loadPolicySet } from '@aviary/policies/engine';
import { parseTrustedRootFlags } from '@aviary/policies/signature';
import { governedObjects } from './applied-objects.js';
import type { CommandIO } from './io.js';
import type { PluginOptions } from './params.js';
import { reportWarnings } from './report.js';
import { resolveInside } from './source/safe-path.js';

export interface PreflightResult {
  denied: boolean;
  diagnostics: Diagnostic[];
}

/**
 * Runs the admission policies during `generate` on every governed object of the output, rendered
 * or passed through, so Argo CD shows a violation before the apiserver does. Each object is
 * matched with the namespace it lands in (its own, else Argo CD's destination namespace); when
 * neither is known, namespace criteria are assumed to hold, as namespace labels always are here.
 * It sees no old object (the cluster state is unknown here), so UPDATE-only rules such as
 * maxIncrease, and the rules about a first revision, are left to the webhook.
 */
export async function preflight(
  io: CommandIO,
  options: PluginOptions,
  root: string,
  output: readonly unknown[],
  destination: string | undefined,
): Promise<PreflightResult> {
  if (options.preflight === 'off') return { denied: false, diagnostics: [] };
  if (options.policies === '') {
    throw new UsageError(
      'PARAM_INVALID',
      'parameter "preflight" needs parameter "policies" (a path inside the repository)',
    );
  }
  const target = await resolveInside(root, root, options.policies);
  // Trust is the platform's: read from the sidecar's own environment only, never from an
  // Application's parameters or ARGOCD_ENV_* variables, which the app's authors control.
  const flags = (io.env['AVIARY_TRUSTED_ROOTS'] ?? '').split(/\s+/).filter((f) => f !== '');
  const trustedRoots = Object.fromEntries(
    Object.entries(parseTrustedRootFlags(flags)).map(([name, file]) => [
      name,
      path.resolve(io.cwd, file),
    ]),
  );
  // Files are shown relative to the repository, as Argo CD users know them.
  const { engine, diagnostics, warnings } = await loadPolicySet({
    policies: [target],
    trustedRoots,
    cwd: root,
  });
  reportWarnings(io, warnings);
  if (engine === undefined) return { denied: true, diagnostics };
  let denied = false;
  for (const { object, namespace } of governedObjects(output, destination)) {
    const d = engine.evaluate({
      object,
      operation: 'CREATE',
      existenceUnknown: true,
      namespace,
      namespaceLabels: undefined,
    });
    const meta = object['metadata'] as Record<string, unknown> | undefined;
    const name = typeof meta?.['name'] === 'string' ? meta['name'] : '';
    for (const f of d.violations) {
      io.stderr.write(
        `aviary: pre-flight ${options.preflight === 'enforce' ? 'DENIED' : 'would deny'} ${name}: ${formatFinding(f)}\n`,
      );
    }
    for (const f of d.warnings)
      io.stderr.write(`aviary: pre-flight warning ${name}: ${formatFinding(f)}\n`);
    if (!d.allowed && options.preflight === 'enforce') denied = true;
  }
  return { denied, diagnostics: [] };
}
