/**
 * The core entry: what every consumer needs and nothing heavy (no ajv compiler, no Sigstore). The
 * policy engine is `@aviary/policies/engine`, signature verification `@aviary/policies/signature`,
 * so a short-lived `aviary generate` loads only what it uses.
 */
export { AviaryError, SpecError, PolicyError, UsageError, formatDiagnostic } from './errors.js';
export type { Diagnostic, SpecErrorCode, PolicyErrorCode, UsageErrorCode } from './errors.js';
export type { Finding } from './finding.js';
export { isObject, objectAt, MAX_OBJECT_DEPTH } from './object.js';
export type { Obj } from './object.js';
export { CODES, SPEC_KSERVE_CODE, POLICY_SIG_CODE } from './codes.js';
export type { Code, CodeIn } from './codes.js';
export { parseYamlStream, YAML_LIMITS } from './yaml/parse.js';
export type { ParsedDocument, ParseResult } from './yaml/parse.js';
export { KUBERNETES_WRITE } from './yaml/schema.js';
export { formatPath, toProblems } from './schema/problems.js';
export type { SchemaProblem } from './schema/problems.js';
export { modelReleaseSchema } from './spec/schema.js';
export type { ModelRelease, Artifact, CanaryArtifact, DeploymentMode } from './spec/schema.js';
export { validateModelRelease } from './spec/validate.js';
export { uriScheme, ociDigest, hfCommit } from './kserve/uri.js';
export { kserveRules, PREDICTOR_IMPLEMENTATIONS } from './kserve/rules.js';
export { ISVC_API_VERSION, ISVC_KIND, DEPLOYMENT_MODE_ANNOTATION } from './kserve/types.js';
export {
  GOVERNED_KINDS,
  governedKind,
  governedKindOfObject,
  isGovernedObject,
} from './kserve/governed.js';
export type { GovernedKind } from './kserve/governed.js';
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
export { ARTIFACT_LABEL, ARTIFACT_METRIC_LABEL, artifactLabel } from './spec/artifact-label.js';
