import type { CodeIn } from '../codes.js';
import type { Diagnostic } from '../errors.js';
import { createValidator, formatPath, type Validator } from '../schema/validator.js';
import { parseYamlStream } from '../yaml/parse.js';
import { imagePrefixProblem } from '../kserve/image.js';
import { prefixProblem } from '../kserve/location.js';
import { effectProblems } from './effect.js';
import { checkIdentityRegex, type RegexProblem } from './regex-safety.js';
import { policySchema, type ModelReleasePolicy } from './schema.js';

/** A validated policy and where it came from. */
export interface LoadedPolicy {
  policy: ModelReleasePolicy;
  name: string;
  file: string;
  line: number;
}

let validator: Validator<ModelReleasePolicy> | undefined;

/**
 * Parses and validates ModelReleasePolicy documents from one file's text. Every problem is
 * reported with its position; a file with any problem contributes no policy, so a typo can never
 * silently weaken enforcement. Warnings describe a policy that loads but does less than it seems to;
 * they never keep it from loading.
 */
export function parsePolicies(
  text: string,
  file: string,
): { policies: LoadedPolicy[]; diagnostics: Diagnostic[]; warnings: Diagnostic[] } {
  validator ??= createValidator<ModelReleasePolicy>(policySchema);
  const parsed = parseYamlStream(text, file);
  const diagnostics = [...parsed.diagnostics];
  const warnings: Diagnostic[] = [];
  const policies: LoadedPolicy[] = [];
  for (const doc of parsed.documents) {
    if (doc.value === null) continue;
    const at = (path: (string | number)[]) => ({
      file,
      ...doc.locate(path),
      path: formatPath(path),
    });
    const result = validator(doc.value);
    if (!result.ok) {
      for (const p of result.problems)
        diagnostics.push({ code: 'POLICY_SCHEMA', message: p.message, ...at(p.path) });
      continue;
    }
    const policy = result.value;
    const before = diagnostics.length;
    const seen = new Set<string>();
    (policy.spec.signatures?.authorities ?? []).forEach((a, i) => {
      const base = ['spec', 'signatures', 'authorities', i];
      const kinds = (['key', 'keyless', 'certificate'] as const).filter((k) => a[k] !== undefined);
      if (kinds.length !== 1) {
        diagnostics.push({
          code: 'POLICY_AUTHORITY_KIND',
          message: `authority "${a.name}" must set exactly one of key, keyless, certificate (found ${kinds.length})`,
          ...at(base),
        });
      }
      if (seen.has(a.name)) {
        diagnostics.push({
          code: 'POLICY_AUTHORITY_DUPLICATE',
          message: `authority name "${a.name}" is used twice`,
          ...at([...base, 'name']),
        });
      }
      seen.add(a.name);
      for (const kind of ['keyless', 'certificate'] as const) {
        const identity = a[kind];
        if (identity !== undefined)
          diagnostics.push(
            ...identityProblems(kind, identity).map((p) => ({ ...p, ...at([...base, ...p.at]) })),
          );
      }
    });
    if (
      policy.spec.signatures?.required === true &&
      (policy.spec.signatures.authorities ?? []).length === 0
    ) {
      diagnostics.push({
        code: 'POLICY_NO_AUTHORITIES',
        message:
          'signatures.required is true but no authority is configured, so nothing could ever be admitted',
        ...at(['spec', 'signatures']),
      });
    }
    (policy.spec.pinning?.allowedPrefixes ?? []).forEach((prefix, i) => {
      const problem = prefixProblem(prefix);
      if (problem !== undefined)
        diagnostics.push({
          code: 'POLICY_PREFIX_INVALID',
          message: problem,
          ...at(['spec', 'pinning', 'allowedPrefixes', i]),
        });
    });
    (policy.spec.pinning?.allowedImagePrefixes ?? []).forEach((prefix, i) => {
      const problem = imagePrefixProblem(prefix);
      if (problem !== undefined)
        diagnostics.push({
          code: 'POLICY_IMAGE_PREFIX_INVALID',
          message: problem,
          ...at(['spec', 'pinning', 'allowedImagePrefixes', i]),
        });
    });
    const steps = policy.spec.canary?.steps;
    const max = policy.spec.canary?.maxTrafficPercent;
    if (steps !== undefined && max !== undefined && steps.some((s) => s > max)) {
      diagnostics.push({
        code: 'POLICY_STEPS_ABOVE_MAX',
        message: `steps contain values above maxTrafficPercent (${max})`,
        ...at(['spec', 'canary', 'steps']),
      });
    }
    const effect = effectProblems(policy);
    for (const p of effect.errors)
      diagnostics.push({ code: p.code, message: p.message, ...at(p.path) });
    if (diagnostics.length > before) continue;
    for (const p of effect.warnings)
      warnings.push({ code: p.code, message: p.message, ...at(p.path) });
    policies.push({ policy, name: policy.metadata.name, file, line: doc.line });
  }
  return { policies, diagnostics, warnings };
}

/** Merges loaded files into one set; two policies of the same name are an error. */
export function mergePolicySets(sets: readonly LoadedPolicy[][]): {
  policies: LoadedPolicy[];
  diagnostics: Diagnostic[];
} {
  const byName = new Map<string, LoadedPolicy>();
  const diagnostics: Diagnostic[] = [];
  for (const p of sets.flat()) {
    const prev = byName.get(p.name);
    if (prev) {
      diagnostics.push({
        code: 'POLICY_DUPLICATE_NAME',
        message: `policy "${p.name}" is also defined at ${prev.file}:${prev.line}`,
        file: p.file,
        line: p.line,
        column: 1,
      });
      continue;
    }
    byName.set(p.name, p);
  }
  const policies = [...byName.values()].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  return { policies, diagnostics };
}

const REGEX_PROBLEM = {
  REGEX_UNANCHORED: {
    code: 'POLICY_REGEX_UNANCHORED',
    message: 'subjectRegExp must start with ^ and end with $',
  },
  REGEX_INVALID: {
    code: 'POLICY_REGEX_INVALID',
    message:
      'subjectRegExp is not a valid RE2 regular expression (no lookaround, no backreferences)',
  },
  REGEX_MATCHES_ALL: {
    code: 'POLICY_REGEX_MATCHES_ALL',
    message: 'subjectRegExp matches identities no signer holds (e.g. ^.*$), so it names no signer',
  },
} as const satisfies Record<RegexProblem, { code: CodeIn<'policy'>; message: string }>;

const IDENTITY_CODE = {
  keyless: 'POLICY_KEYLESS_IDENTITY',
  certificate: 'POLICY_CERTIFICATE_IDENTITY',
} as const;

/**
 * An authority that names no signer trusts every identity its issuer or CA certifies (for a
 * public CA or GitHub's issuer: everyone), so keyless and certificate authorities alike need
 * exactly one of `subject`, `subjectRegExp`, and the pattern must be safe and narrow.
 */
function identityProblems(
  kind: 'keyless' | 'certificate',
  { subject, subjectRegExp }: { subject?: string; subjectRegExp?: string },
): { code: CodeIn<'policy'>; message: string; at: string[] }[] {
  if ((subject === undefined) === (subjectRegExp === undefined))
    return [
      {
        code: IDENTITY_CODE[kind],
        message: `a ${kind} authority needs exactly one of subject or subjectRegExp`,
        at: [kind],
      },
    ];
  const problem = subjectRegExp === undefined ? undefined : checkIdentityRegex(subjectRegExp);
  if (problem === undefined) return [];
  return [{ ...REGEX_PROBLEM[problem], at: [kind, 'subjectRegExp'] }];
}
