/** The policy engine entry: ModelReleasePolicy schema, loading, matching, rules and decisions. */
export { createValidator } from './schema/validator.js';
export type { Validation, Validator } from './schema/validator.js';
export { policySchema } from './policy/schema.js';
export type { ModelReleasePolicy, PolicyAuthority, LabelSelector } from './policy/schema.js';
export { parsePolicies, mergePolicySets } from './policy/load.js';
export type { LoadedPolicy } from './policy/load.js';
export { listPolicyFiles } from './policy/files.js';
export type { PolicyFile } from './policy/files.js';
export { loadPolicySet } from './policy/policy-set.js';
export type { PolicySet, PolicySetInput } from './policy/policy-set.js';
export { createEngine } from './policy/evaluate.js';
export type { Engine, EngineOptions } from './policy/evaluate.js';
export { unenforceablePolicy } from './policy/unenforceable.js';
export type { UnenforceablePolicy } from './policy/unenforceable.js';
export type { SignatureCheck } from './policy/rules/context.js';
export { checkIdentityRegex } from './policy/regex-safety.js';
export { compileIdentityRegex } from './signature/identity.js';
export type { IdentityPattern } from './signature/identity.js';
export { selectorMatches, policyMatches } from './policy/match.js';
export { readModels } from './kserve/locations.js';
export type { DeploymentMode, ModelLocation, Reading } from './kserve/locations.js';
export type {
  PolicyMode,
  Operation,
  RuleName,
  PolicyFinding,
  VerifiedArtifact,
  EvaluationInput,
  Decision,
} from './policy/types.js';
export { formatFinding, denialMessage } from './policy/format.js';
