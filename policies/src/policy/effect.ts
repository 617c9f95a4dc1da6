import type { CodeIn } from '../codes.js';
import type { LabelSelector, ModelReleasePolicy } from './schema.js';

/** A problem found in a policy that is valid by schema: its code, its JSON path and its text. */
export interface EffectProblem {
  code: CodeIn<'policy'>;
  path: (string | number)[];
  message: string;
}

// Kubernetes' own syntax (apimachinery validation: IsQualifiedName, IsValidLabelValue), so a selector
// the apiserver would refuse for a webhook is refused here instead of silently matching differently.
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function labelKeyOk(key: string): boolean {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return false;
  }
  return name.length <= 63 && NAME.test(name);
}

function labelValueOk(value: string): boolean {
  return value === '' || (value.length <= 63 && NAME.test(value));
}

function selectorProblems(selector: LabelSelector, base: (string | number)[]): EffectProblem[] {
  const out: EffectProblem[] = [];
  const labels = selector.matchLabels;
  const expressions = selector.matchExpressions;
  if ((labels === undefined || Object.keys(labels).length === 0) && !expressions?.length) {
    // Kubernetes reads an empty selector as "everything": almost always a criterion left unfinished.
    out.push({
      code: 'POLICY_MATCH_EMPTY',
      path: base,
      message: 'a selector with no matchLabels and no matchExpressions; remove it to match all',
    });
  } else if (labels !== undefined && Object.keys(labels).length === 0) {
    out.push({
      code: 'POLICY_MATCH_EMPTY',
      path: [...base, 'matchLabels'],
      message: 'empty matchLabels',
    });
  } else if (expressions !== undefined && expressions.length === 0) {
    out.push({
      code: 'POLICY_MATCH_EMPTY',
      path: [...base, 'matchExpressions'],
      message: 'empty matchExpressions',
    });
  }
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (!labelKeyOk(key))
      out.push({
        code: 'POLICY_LABEL_INVALID',
        path: [...base, 'matchLabels', key],
        message: `"${key}" is not a valid Kubernetes label key`,
      });
    else if (!labelValueOk(value))
      out.push({
        code: 'POLICY_LABEL_INVALID',
        path: [...base, 'matchLabels', key],
        message: `"${value}" is not a valid Kubernetes label value`,
      });
  }
  (expressions ?? []).forEach((e, i) => {
    const at = [...base, 'matchExpressions', i];
    if (!labelKeyOk(e.key))
      out.push({
        code: 'POLICY_LABEL_INVALID',
        path: [...at, 'key'],
        message: `"${e.key}" is not a valid Kubernetes label key`,
      });
    const values = e.values ?? [];
    const wantsValues = e.operator === 'In' || e.operator === 'NotIn';
    if (wantsValues !== values.length > 0)
      out.push({
        code: 'POLICY_SELECTOR_INVALID',
        path: [...at, wantsValues ? 'operator' : 'values'],
        message: wantsValues
          ? `operator ${e.operator} needs at least one value`
          : `operator ${e.operator} takes no values`,
      });
    values.forEach((v, j) => {
      if (!labelValueOk(v))
        out.push({
          code: 'POLICY_LABEL_INVALID',
          path: [...at, 'values', j],
          message: `"${v}" is not a valid Kubernetes label value`,
        });
    });
  });
  return out;
}

/**
 * What a schema-valid policy would enforce, checked before it loads: a policy without a rule, or
 * with a match criterion that selects nothing or that Kubernetes would read otherwise, is an error;
 * signature authorities that nothing requires are a warning (they serve `aviary verify`).
 */
export function effectProblems(policy: ModelReleasePolicy): {
  errors: EffectProblem[];
  warnings: EffectProblem[];
} {
  const spec = policy.spec;
  const errors: EffectProblem[] = [];
  const warnings: EffectProblem[] = [];
  if (spec.pinning === undefined && spec.canary === undefined && spec.signatures?.required !== true)
    errors.push({
      code: 'POLICY_ENFORCES_NOTHING',
      path: ['spec'],
      message:
        'no rule: set pinning, canary or signatures.required (mode: audit records without denying)',
    });
  else if (spec.signatures !== undefined && spec.signatures.required !== true)
    warnings.push({
      code: 'POLICY_SIGNATURES_NOT_REQUIRED',
      path: ['spec', 'signatures'],
      message:
        'signatures.required is not true: admission checks no signature (the authorities serve aviary verify only)',
    });
  if (spec.match !== undefined) errors.push(...matchProblems(spec.match));
  return { errors, warnings };
}

type Match = NonNullable<ModelReleasePolicy['spec']['match']>;

/**
 * A schema-valid `match` that selects nothing, or that Kubernetes would read otherwise: an empty
 * criterion, an empty namespace list, a selector the apiserver would refuse.
 */
export function matchProblems(match: Match): EffectProblem[] {
  const out: EffectProblem[] = [];
  if (
    match.namespaces === undefined &&
    match.namespaceSelector === undefined &&
    match.objectSelector === undefined
  )
    out.push({
      code: 'POLICY_MATCH_EMPTY',
      path: ['spec', 'match'],
      message: 'match states no criterion; remove it to match all',
    });
  if (match.namespaces?.length === 0)
    out.push({
      code: 'POLICY_MATCH_EMPTY',
      path: ['spec', 'match', 'namespaces'],
      message: 'an empty namespaces list selects no namespace, so the policy would never apply',
    });
  for (const key of ['namespaceSelector', 'objectSelector'] as const) {
    const selector = match[key];
    if (selector !== undefined) out.push(...selectorProblems(selector, ['spec', 'match', key]));
  }
  return out;
}
