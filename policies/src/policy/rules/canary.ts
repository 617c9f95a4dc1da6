import { EVIDENCE_PATHS, type ObjectView } from '../object-view.js';
import type { RuleContext, RuleFinding } from './context.js';
import { clip } from './pinning.js';

/**
 * Canary traffic: bounds and steps for every share (Knative `canaryTrafficPercent`, Standard
 * `spec.canary[].trafficPercent` and their sum), the largest increase of the same candidate on
 * UPDATE, and `requireCanary` — a changed artifact may not take all traffic at once.
 */
export function canaryRule(ctx: RuleContext): RuleFinding[] {
  const canary = ctx.policy.spec.canary;
  const out: RuleFinding[] = [];
  const { view, oldView, operation } = ctx;

  if (operation === 'CREATE' && (view.canaryPercents.length > 0 || view.canaries.length > 0)) {
    out.push({
      code: 'CANARY_ON_CREATE',
      path: view.canaryPercents[0]?.path ?? 'spec.canary',
      message:
        'a new InferenceService has no previous revision: KServe sends all traffic to the first one',
      advisory: true,
    });
  }
  if (canary === undefined) return out;

  const shares: { path: string; value: unknown }[] = [
    ...view.canaryPercents,
    ...view.canaries.map((c) => ({ path: `${c.path}.trafficPercent`, value: c.traffic })),
  ];
  let sum = 0;
  for (const s of shares) {
    if (typeof s.value !== 'number' || !Number.isInteger(s.value) || s.value < 0 || s.value > 100) {
      out.push({
        code: 'CANARY_TRAFFIC_INVALID',
        path: s.path,
        message: `traffic must be an integer 0..100, got ${JSON.stringify(s.value)}`,
      });
      continue;
    }
    sum += s.path.startsWith('spec.canary[') ? s.value : 0;
    if (canary.maxTrafficPercent !== undefined && s.value > canary.maxTrafficPercent) {
      out.push({
        code: 'CANARY_ABOVE_MAX',
        path: s.path,
        message: `${s.value}% is above the allowed ${canary.maxTrafficPercent}%`,
      });
    }
    if (canary.steps !== undefined && !canary.steps.includes(s.value)) {
      out.push({
        code: 'CANARY_STEP_NOT_ALLOWED',
        path: s.path,
        message: `${s.value}% is not an allowed step (${canary.steps.join(', ')})`,
      });
    }
  }
  if (
    view.canaries.length > 1 &&
    canary.maxTrafficPercent !== undefined &&
    sum > canary.maxTrafficPercent
  ) {
    out.push({
      code: 'CANARY_SUM_ABOVE_MAX',
      path: 'spec.canary',
      message: `canaries take ${sum}% together, above ${canary.maxTrafficPercent}%`,
    });
  }

  if (operation === 'UPDATE' && oldView !== undefined) {
    if (canary.maxIncrease !== undefined)
      out.push(...increaseFindings(view, oldView, canary.maxIncrease));
    if (canary.requireCanary === true) out.push(...requireCanaryFindings(view, oldView));
    out.push(...stableRecordFindings(view, oldView));
  }
  return out;
}

function knativeShare(view: ObjectView): number | undefined {
  const v = view.canaryPercents.find(
    (c) => c.path === 'spec.predictor.canaryTrafficPercent',
  )?.value;
  return typeof v === 'number' ? v : undefined;
}

function increaseFindings(view: ObjectView, old: ObjectView, maxIncrease: number): RuleFinding[] {
  const out: RuleFinding[] = [];
  const now = knativeShare(view);
  const before = knativeShare(old);
  if (
    now !== undefined &&
    before !== undefined &&
    view.servingUri !== undefined &&
    view.servingUri === old.servingUri &&
    now - before > maxIncrease
  ) {
    out.push({
      code: 'CANARY_INCREASE_TOO_LARGE',
      path: 'spec.predictor.canaryTrafficPercent',
      message: `the candidate goes from ${before}% to ${now}%; at most +${maxIncrease} per update`,
    });
  }
  for (const c of view.canaries) {
    const prev = old.canaries.find(
      (o) => o.uri !== undefined && o.uri === c.uri && o.name === c.name,
    );
    if (
      prev &&
      typeof prev.traffic === 'number' &&
      typeof c.traffic === 'number' &&
      c.traffic - prev.traffic > maxIncrease
    ) {
      out.push({
        code: 'CANARY_INCREASE_TOO_LARGE',
        path: `${c.path}.trafficPercent`,
        message: `the candidate goes from ${prev.traffic}% to ${c.traffic}%; at most +${maxIncrease} per update`,
      });
    }
  }
  return out;
}

/**
 * The serving URI may change without a canary share only to the old candidate (promotion) or the
 * old recorded stable (rollback); anything else is a new artifact taking all traffic at once.
 */
function requireCanaryFindings(view: ObjectView, old: ObjectView): RuleFinding[] {
  const out: RuleFinding[] = [];
  const standard = view.canaries.length > 0 || old.canaries.length > 0;
  const serving = view.servingUri;
  const oldServing = old.servingUri;
  if (!standard) {
    const share = knativeShare(view);
    const changed = serving !== undefined && serving !== oldServing;
    if (changed && (share === undefined || share === 100)) {
      const oldHadCanary = knativeShare(old) !== undefined;
      const allowed = new Set<string>();
      if (oldHadCanary && oldServing !== undefined) allowed.add(oldServing);
      const oldStable = old.stable?.uri ?? (oldHadCanary ? undefined : oldServing);
      if (oldStable !== undefined) allowed.add(oldStable);
      if (!allowed.has(serving)) {
        out.push({
          code: 'CANARY_REQUIRED',
          path: 'spec.predictor.canaryTrafficPercent',
          message: `"${clip(serving)}" is a new artifact; it must enter with canaryTrafficPercent below 100`,
        });
      }
    }
    return out;
  }
  const changed = serving !== undefined && serving !== oldServing;
  if (changed && !old.canaries.some((c) => c.uri === serving)) {
    out.push({
      code: 'CANARY_REQUIRED',
      path: 'spec.predictor',
      message: `"${clip(serving)}" was not the previous canary; a new artifact must enter through spec.canary`,
    });
  }
  for (const c of view.canaries) {
    const known = old.canaries.some((o) => o.uri === c.uri);
    if (!known && c.traffic === 100) {
      out.push({
        code: 'CANARY_REQUIRED',
        path: `${c.path}.trafficPercent`,
        message: 'a new candidate may not start at 100%',
      });
    }
  }
  return out;
}

/** A new stable record must name something the old object named; it cannot be invented. */
function stableRecordFindings(view: ObjectView, old: ObjectView): RuleFinding[] {
  if (view.stable === undefined || view.stable.uri === old.stable?.uri) return [];
  const named = new Set<string>();
  if (old.stable) named.add(old.stable.uri);
  if (old.servingUri !== undefined) named.add(old.servingUri);
  for (const c of old.canaries) if (c.uri !== undefined) named.add(c.uri);
  if (named.has(view.stable.uri)) return [];
  return [
    {
      code: 'STABLE_RECORD_UNKNOWN',
      path: EVIDENCE_PATHS.stable,
      message: `the stable record names "${clip(view.stable.uri)}", which the previous object never served or recorded`,
    },
  ];
}
