import type { Finding } from '../../finding.js';
import type { ModelLocation } from '../../kserve/locations.js';
import type { RuleContext } from './context.js';

/**
 * What no rule may pass over: an object beyond the inspection limits, or model locations that
 * cannot be read exactly in one of the modes the decision holds under. Every configured rule
 * reports these, so a signatures-only or canary-only policy denies them as pinning does.
 */
export function unreadable(ctx: RuleContext): Finding[] {
  const { view } = ctx;
  const out = [...view.limitProblems];
  for (const mode of ctx.modes) out.push(...view.reading(mode).problems);
  return unique(out);
}

/** Every location a pod downloads under any of the decision's readings, each field once. */
export function downloadedLocations(ctx: RuleContext): ModelLocation[] {
  const seen = new Map<string, ModelLocation>();
  for (const mode of ctx.modes)
    for (const l of ctx.view.reading(mode).locations) seen.set(`${l.path}\n${l.uri}`, l);
  return [...seen.values()];
}

/** One finding per code and path: the same defect read in two modes is reported once. */
export function unique<F extends Finding>(findings: F[]): F[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.code}\n${f.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
