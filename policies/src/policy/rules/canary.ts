import type { ComponentModel, Reading } from '../../kserve/locations.js';
import { EVIDENCE_PATHS, sameArtifact, type Artifact, type ObjectView } from '../object-view.js';
import type { ModelReleasePolicy } from '../schema.js';
import type { RuleContext, RuleFinding } from './context.js';
import { clip } from './pinning.js';
import { unique, unreadable } from './readings.js';

type CanaryPolicy = NonNullable<ModelReleasePolicy['spec']['canary']>;
type Share = { path: string; value: unknown };

/**
 * Canary traffic, judged on the shares KServe applies in the decision's deployment modes: bounds
 * and steps for every share, the largest increase of the same artifact on UPDATE, and
 * `requireCanary`, under which a changed artifact never takes all traffic at once. Transitions
 * are judged on artifacts (URI and digest), never on names, and a rollback target counts only if
 * the old object really served it.
 */
export function canaryRule(ctx: RuleContext): RuleFinding[] {
  const out: RuleFinding[] = [];
  const advisory = createAdvisory(ctx);
  if (advisory) out.push(advisory);
  const canary = ctx.policy.spec.canary;
  if (canary === undefined) return out;
  out.push(...unreadable(ctx));
  if (ctx.view.stableProblem) out.push({ ...ctx.view.stableProblem, path: EVIDENCE_PATHS.stable });
  for (const mode of ctx.modes) {
    const now = ctx.view.reading(mode);
    const before = ctx.oldView?.reading(mode);
    out.push(
      ...(mode === 'Knative'
        ? knativeFindings(ctx, canary, now, before)
        : standardFindings(ctx, canary, now, before)),
    );
  }
  return unique(out);
}

/** One deployment mode's findings, from its reading of the object and (on UPDATE) of the old one. */
type ModeFindings = (
  ctx: RuleContext,
  canary: CanaryPolicy,
  now: Reading,
  before: Reading | undefined,
) => RuleFinding[];

/** KServe sends all traffic to a new InferenceService's first revision, whatever it asks for. */
function createAdvisory(ctx: RuleContext): RuleFinding | undefined {
  if (ctx.operation !== 'CREATE' || ctx.existenceUnknown) return undefined;
  for (const mode of ctx.modes) {
    const r = ctx.view.reading(mode);
    const share = r.components.find((c) => c.share !== undefined)?.share;
    const path = share?.path ?? (r.canaries.length > 0 ? 'spec.canary' : undefined);
    if (path !== undefined)
      return {
        code: 'CANARY_ON_CREATE',
        path,
        message:
          'a new InferenceService has no previous revision: KServe sends all traffic to the first one',
        advisory: true,
      };
  }
  return undefined;
}

function shareFindings(shares: Share[], canary: CanaryPolicy, summed: boolean): RuleFinding[] {
  const out: RuleFinding[] = [];
  let sum = 0;
  for (const s of shares) {
    const value = percent(s.value);
    if (value === undefined) {
      out.push({
        code: 'CANARY_TRAFFIC_INVALID',
        path: s.path,
        message: `traffic must be an integer 0..100, got ${JSON.stringify(s.value)}`,
      });
      continue;
    }
    sum += value;
    if (canary.maxTrafficPercent !== undefined && value > canary.maxTrafficPercent) {
      out.push({
        code: 'CANARY_ABOVE_MAX',
        path: s.path,
        message: `${value}% is above the allowed ${canary.maxTrafficPercent}%`,
      });
    }
    if (canary.steps !== undefined && !canary.steps.includes(value)) {
      out.push({
        code: 'CANARY_STEP_NOT_ALLOWED',
        path: s.path,
        message: `${value}% is not an allowed step (${canary.steps.join(', ')})`,
      });
    }
  }
  if (summed && shares.length > 1 && canary.maxTrafficPercent !== undefined) {
    if (sum > canary.maxTrafficPercent)
      out.push({
        code: 'CANARY_SUM_ABOVE_MAX',
        path: 'spec.canary',
        message: `canaries take ${sum}% together, above ${canary.maxTrafficPercent}%`,
      });
  }
  return out;
}

function percent(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 100 ? v : undefined;
}

const increase = (path: string, from: number, to: number, max: number): RuleFinding => ({
  code: 'CANARY_INCREASE_TOO_LARGE',
  path,
  message: `the candidate goes from ${from}% to ${to}%; at most +${max} per update`,
});

const required = (path: string, artifact: Artifact, how: string): RuleFinding => ({
  code: 'CANARY_REQUIRED',
  path,
  message: `"${clip(artifact.uri)}" is a new artifact; ${how}`,
});

const unknownRecord = (message: string): RuleFinding => ({
  code: 'STABLE_RECORD_UNKNOWN',
  path: EVIDENCE_PATHS.stable,
  message,
});

/**
 * Whether the stable record names `serving`. The record always carries a digest; when the object
 * lists none for the serving URI the URI alone decides (pinning and signatures judge the missing
 * evidence, and the signature rule binds the record's digest).
 */
function recordNames(record: Artifact, serving: Artifact | undefined): boolean {
  if (serving === undefined || record.uri !== serving.uri) return false;
  return serving.digest === undefined || serving.digest === record.digest;
}

function recordArtifact(view: ObjectView): Artifact | undefined {
  const r = view.stable;
  return r === undefined ? undefined : { uri: r.uri, digest: r.digest };
}

/**
 * Knative: each component's latest revision (this spec) takes its canaryTrafficPercent, and the
 * rest goes to the revision that last took all traffic. Only the predictor records which artifact
 * that is (`aviary.dev/stable`); the record is trusted because every admission keeps it honest.
 */
const knativeFindings: ModeFindings = (ctx, canary, now, before) => {
  const { view, oldView } = ctx;
  const out = shareFindings(
    now.components.flatMap((c) => (c.share ? [c.share] : [])),
    canary,
    false,
  );
  for (const component of now.components) {
    const old = before?.components.find((o) => o.name === component.name);
    const served = view.artifact(component.serving?.uri);
    const share = percent(component.share?.value);
    const splits = share !== undefined && share < 100;
    const rolledOut = oldView && rolledOutArtifact(oldView, old);
    const sharePath = component.share?.path ?? `spec.${component.name}.canaryTrafficPercent`;
    if (ctx.operation === 'UPDATE' && oldView && served) {
      const changed = !sameArtifact(served, oldView.artifact(old?.serving?.uri));
      const oldShare = percent(old?.share?.value);
      if (
        !changed &&
        canary.maxIncrease !== undefined &&
        share !== undefined &&
        oldShare !== undefined &&
        share - oldShare > canary.maxIncrease
      )
        out.push(increase(sharePath, oldShare, share, canary.maxIncrease));
      if (changed && !splits && canary.requireCanary === true && !sameArtifact(served, rolledOut))
        out.push(required(sharePath, served, 'it must enter with canaryTrafficPercent below 100'));
    }
    if (component.name !== 'predictor') continue;
    const record = recordArtifact(view);
    if (record === undefined || (splits && ctx.existenceUnknown)) continue;
    // Without a split the serving artifact takes everything; on CREATE it does whatever is asked.
    const expected = !splits || ctx.operation === 'CREATE' || !oldView ? served : rolledOut;
    if (!recordNames(record, expected))
      out.push(
        unknownRecord(
          splits && ctx.operation === 'CREATE'
            ? `the stable record names "${clip(record.uri)}", but KServe serves a new InferenceService's first revision to all traffic; create it without the canary, then add the canary`
            : `the stable record names "${clip(record.uri)}", which is not the artifact serving the stable traffic`,
        ),
      );
  }
  return out;
};

/** What took all of a component's traffic when the old object was applied. */
function rolledOutArtifact(
  old: ObjectView,
  component: ComponentModel | undefined,
): Artifact | undefined {
  if (component === undefined) return undefined;
  const share = percent(component.share?.value);
  if (share === undefined || share === 100) return old.artifact(component.serving?.uri);
  return component.name === 'predictor' ? recordArtifact(old) : undefined;
}

/**
 * Standard: the stable predictor serves directly and candidates live in `spec.canary[]`;
 * canaryTrafficPercent is ignored. A candidate is the same one across an UPDATE when its artifact
 * is, whatever its name.
 */
const standardFindings: ModeFindings = (ctx, canary, now, before) => {
  const { view, oldView } = ctx;
  const out = shareFindings(
    now.canaries.map((c) => ({ path: `${c.path}.trafficPercent`, value: c.traffic })),
    canary,
    true,
  );
  const predictor = now.components.find((c) => c.name === 'predictor');
  const record = recordArtifact(view);
  if (record && !recordNames(record, view.artifact(predictor?.serving?.uri)))
    out.push(
      unknownRecord(
        `the stable record names "${clip(record.uri)}", not the stable predictor's artifact`,
      ),
    );
  if (ctx.operation !== 'UPDATE' || oldView === undefined || before === undefined) return out;

  const oldCandidates = before.canaries.map((c) => ({
    artifact: oldView.artifact(c.model?.uri),
    traffic: percent(c.traffic),
  }));
  const oldStable = oldView.artifact(
    before.components.find((c) => c.name === 'predictor')?.serving?.uri,
  );
  for (const entry of now.canaries) {
    const artifact = view.artifact(entry.model?.uri);
    if (artifact === undefined) continue;
    const prev = oldCandidates.find((o) => sameArtifact(o.artifact, artifact));
    const traffic = percent(entry.traffic);
    const path = `${entry.path}.trafficPercent`;
    if (
      canary.maxIncrease !== undefined &&
      prev?.traffic !== undefined &&
      traffic !== undefined &&
      traffic - prev.traffic > canary.maxIncrease
    )
      out.push(increase(path, prev.traffic, traffic, canary.maxIncrease));
    if (
      canary.requireCanary === true &&
      traffic === 100 &&
      prev === undefined &&
      !sameArtifact(artifact, oldStable)
    )
      out.push(required(path, artifact, 'a new candidate may not start at 100%'));
  }
  if (canary.requireCanary !== true) return out;
  for (const component of now.components) {
    const served = view.artifact(component.serving?.uri);
    const old = before.components.find((o) => o.name === component.name);
    if (served === undefined || sameArtifact(served, oldView.artifact(old?.serving?.uri))) continue;
    // Only the predictor has candidates to promote; other components switch all at once.
    const promoted =
      component.name === 'predictor' && oldCandidates.some((o) => sameArtifact(o.artifact, served));
    if (!promoted)
      out.push(
        required(
          `spec.${component.name}`,
          served,
          component.name === 'predictor'
            ? 'it was not a previous candidate; a new artifact must enter through spec.canary'
            : 'Standard mode has no canary for this component',
        ),
      );
  }
  return out;
};
