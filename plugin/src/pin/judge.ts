import { parseYamlStream, type DeploymentMode, type Diagnostic } from '@aviary/policies';
import type { Decision, Engine } from '@aviary/policies/engine';
import { renderSources } from '../render/app.js';
import { PinError } from './errors.js';

export interface JudgeInput {
  engine: Engine;
  before: string;
  after: string;
  index: number;
  /** Repository-relative and absolute path of the release file. */
  file: string;
  absolute: string;
  root: string;
  mode: DeploymentMode;
  namespace: string | undefined;
  namespaceLabels: Readonly<Record<string, string>> | undefined;
  plannedBundles: ReadonlyMap<string, unknown>;
}

/**
 * Renders the release before and after the edit, exactly as the plugin would, and asks the whole
 * engine about the pair as an UPDATE: the same question admission will answer when Argo CD
 * applies the change. A rendering problem is bad input; a denial is returned for the caller.
 */
export async function judge(input: JudgeInput): Promise<Decision> {
  const old = await renderAt(input, input.before, new Map());
  const next = await renderAt(input, input.after, input.plannedBundles);
  return input.engine.evaluate({
    object: next,
    oldObject: old,
    operation: 'UPDATE',
    namespace: next.metadata?.namespace ?? input.namespace,
    namespaceLabels: input.namespaceLabels,
  });
}

async function renderAt(
  input: JudgeInput,
  text: string,
  plannedBundles: ReadonlyMap<string, unknown>,
): Promise<{ metadata?: { namespace?: string } }> {
  const parsed = parseYamlStream(text, input.file);
  const doc = parsed.documents[input.index];
  const problems: Diagnostic[] = [...parsed.diagnostics];
  if (doc !== undefined && problems.length === 0) {
    const r = await renderSources(
      [{ file: input.file, absolute: input.absolute, doc }],
      { root: input.root, defaultMode: input.mode, plannedBundles },
      problems,
    );
    if (problems.length === 0) return r.objects[0] as { metadata?: { namespace?: string } };
  }
  throw new PinError('SPEC_INVALID', 'the pinned release does not render', {
    diagnostics: problems,
  });
}
