import type { Engine } from '@aviary/policies/engine';
import { judge } from '../pin/judge.js';
import type { PassOptions } from './pass.js';
import type { FoundRelease } from './releases.js';

/**
 * The webhook's question about a step, asked before it is written: the release as it stands and
 * as it would be are rendered exactly as the plugin renders them and judged by the whole engine
 * as an UPDATE (pinning, signatures, canary steps). Returns the enforce-mode findings that would
 * deny it; none means the step may be written. A release that no longer renders is bad input.
 */
export async function checkStep(
  opts: Pick<PassOptions, 'root' | 'mode' | 'namespace'> & { engine: Engine },
  found: FoundRelease,
  after: string,
): Promise<{ code: string; message: string; policy: string }[]> {
  const decision = await judge({
    engine: opts.engine,
    before: found.text,
    after,
    index: found.index,
    file: found.file,
    absolute: found.absolute,
    root: opts.root,
    mode: opts.mode,
    namespace: found.release.metadata.namespace ?? opts.namespace,
    namespaceLabels: undefined,
    plannedBundles: new Map(),
  });
  return decision.violations.map((f) => ({ code: f.code, message: f.message, policy: f.policy }));
}
