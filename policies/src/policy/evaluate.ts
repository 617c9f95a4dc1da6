import { readingsFor } from '../kserve/mode.js';
import type { LoadedPolicy } from './load.js';
import { policyMatches } from './match.js';
import { viewObject } from './object-view.js';
import { canaryRule } from './rules/canary.js';
import type { RuleContext, RuleFinding, SignatureCheck } from './rules/context.js';
import { pinningRule } from './rules/pinning.js';
import { signaturesRule } from './rules/signatures.js';
import type { Decision, EvaluationInput, PolicyFinding, RuleName } from './types.js';
import type { UnenforceablePolicy } from './unenforceable.js';

const RULES: readonly [RuleName, (ctx: RuleContext) => RuleFinding[]][] = [
  ['pinning', pinningRule],
  ['signatures', signaturesRule],
  ['canary', canaryRule],
];

export interface EngineOptions {
  policies: readonly LoadedPolicy[];
  /** Builds the signature verifier for one policy; called once per policy when the engine is built. */
  verifierFor?: (policy: LoadedPolicy) => SignatureCheck | undefined;
  /** Stored policies that failed validation: every object they may govern is refused. */
  unenforceable?: readonly UnenforceablePolicy[];
}

export interface Engine {
  readonly policies: readonly LoadedPolicy[];
  readonly unenforceable: readonly UnenforceablePolicy[];
  evaluate(input: EvaluationInput): Decision;
}

/**
 * Builds the policy engine once per policy set: a pure function of (object, old object, operation,
 * namespace labels) to a decision. Every matching policy applies; any enforce-mode violation denies.
 */
export function createEngine(options: EngineOptions): Engine {
  const policies = [...options.policies];
  const verifiers = new Map(policies.map((p) => [p.name, options.verifierFor?.(p)] as const));
  const unenforceable = [...(options.unenforceable ?? [])];
  return {
    policies,
    unenforceable,
    evaluate(input) {
      const view = viewObject(input.object);
      const oldView = input.oldObject === undefined ? undefined : viewObject(input.oldObject);
      const decision: Decision = {
        allowed: true,
        violations: [],
        warnings: [],
        audits: [],
        matched: [],
        verified: [],
      };
      const applies = (match: LoadedPolicy['policy']['spec']['match']) =>
        policyMatches(match, input.namespace, input.namespaceLabels, view.labels, oldView?.labels);
      const advisories = new Map<string, PolicyFinding>();
      for (const loaded of policies) {
        if (!applies(loaded.policy.spec.match)) continue;
        decision.matched.push(loaded.name);
        const mode = loaded.policy.spec.mode ?? 'enforce';
        const verifier = verifiers.get(loaded.name);
        const ctx: RuleContext = {
          policy: loaded.policy,
          policyName: loaded.name,
          view,
          operation: input.operation,
          existenceUnknown: input.existenceUnknown === true,
          modes: readingsFor(view.declaredMode, loaded.policy.spec.defaultDeploymentMode),
          verified: decision.verified,
          ...(oldView !== undefined ? { oldView } : {}),
          ...(verifier !== undefined ? { signatures: verifier } : {}),
        };
        for (const [rule, check] of RULES) {
          for (const f of check(ctx)) {
            const finding: PolicyFinding = {
              code: f.code,
              path: f.path,
              message: f.message,
              policy: loaded.name,
              rule,
              mode,
            };
            if (f.advisory) {
              // One advisory per code and path, however many policies match.
              if (!advisories.has(`${f.code}|${f.path}`))
                advisories.set(`${f.code}|${f.path}`, finding);
            } else if (mode === 'enforce') decision.violations.push(finding);
            else if (mode === 'warn') decision.warnings.push(finding);
            else decision.audits.push(finding);
          }
        }
      }
      for (const broken of unenforceable) {
        if (!applies(broken.match)) continue;
        decision.matched.push(broken.name);
        const finding: PolicyFinding = {
          code: 'POLICY_UNENFORCEABLE',
          path: '',
          message: `policy "${broken.name}" is stored but invalid, so it cannot be enforced as written; what it may govern is refused until it is fixed: ${broken.reasons.join('; ')}`,
          policy: broken.name,
          rule: 'policy',
          mode: broken.mode,
        };
        if (broken.mode === 'enforce') decision.violations.push(finding);
        else if (broken.mode === 'warn') decision.warnings.push(finding);
        else decision.audits.push(finding);
      }
      decision.warnings.push(...advisories.values());
      decision.allowed = decision.violations.length === 0;
      decision.matched.sort();
      return decision;
    },
  };
}
