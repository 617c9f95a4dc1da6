export { AviaryError, SpecError, PolicyError, UsageError, formatDiagnostic } from './errors.js';
export type { Diagnostic, SpecErrorCode, PolicyErrorCode, UsageErrorCode } from './errors.js';
export type { Finding } from './finding.js';
export { parseYamlStream, YAML_LIMITS } from './yaml/parse.js';
export type { ParsedDocument, ParseResult } from './yaml/parse.js';
export { createValidator, formatPath } from './schema/validator.js';
export type { SchemaProblem, Validation, Validator } from './schema/validator.js';
export { modelReleaseSchema } from './spec/schema.js';
export type { ModelRelease, Artifact, CanaryArtifact, DeploymentMode } from './spec/schema.js';
export { validateModelRelease } from './spec/validate.js';
export { uriScheme, ociDigest, hfCommit } from './kserve/uri.js';
export { kserveRules, PREDICTOR_IMPLEMENTATIONS } from './kserve/rules.js';
export { ISVC_API_VERSION, ISVC_KIND, DEPLOYMENT_MODE_ANNOTATION } from './kserve/types.js';
export type {
  InferenceService,
  ObjectMeta,
  ModelSpec,
  PredictorSpec,
  CanarySpec,
} from './kserve/types.js';
export {
  ARTIFACTS_ANNOTATION,
  STABLE_ANNOTATION,
  formatArtifacts,
  formatStable,
  parseArtifacts,
  parseStable,
} from './evidence/contract.js';
export type { ArtifactEvidence, StableRecord, EvidenceProblem } from './evidence/contract.js';
export { policySchema } from './policy/schema.js';
export type { ModelReleasePolicy, PolicyAuthority, LabelSelector } from './policy/schema.js';
export { parsePolicies, mergePolicySets } from './policy/load.js';
export type { LoadedPolicy } from './policy/load.js';
export { readPolicyPath } from './policy/read.js';
export { createEngine } from './policy/engine.js';
export type { Engine, EngineOptions } from './policy/engine.js';
export type { SignatureCheck } from './policy/rules/context.js';
export { checkIdentityRegex } from './policy/regex-safety.js';
export { selectorMatches, policyMatches } from './policy/match.js';
export { collectUriFields } from './policy/uris.js';
export type { UriField } from './policy/uris.js';
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
