import {
  ARTIFACT_LABEL,
  ARTIFACTS_ANNOTATION,
  DEPLOYMENT_MODE_ANNOTATION,
  STABLE_ANNOTATION,
  artifactLabel,
  formatArtifacts,
  formatStable,
  type DeploymentMode,
  type InferenceService,
  type ModelRelease,
  type ModelSpec,
  type PredictorSpec,
} from '@aviary/policies';
import { predictorName } from './names.js';

export interface RenderInput {
  release: ModelRelease;
  /** Parsed Sigstore bundle JSON per artifact; absent when the spec names no signature. */
  bundles: { stable?: unknown; canary?: unknown };
  /** Mode used when the spec does not set spec.deployment.mode. */
  defaultMode: DeploymentMode;
  /** Namespace written on the object when the spec sets none; empty leaves it to Argo CD. */
  namespace?: string;
}

/** The container name KServe gives the serving container; the v0.20 CRD requires it on canary models. */
const CANARY_CONTAINER_NAME = 'kserve-container';

/**
 * Renders one ModelRelease into one InferenceService. Pure and deterministic: the same input gives
 * a structurally identical object with the same key order, so the YAML is byte-identical.
 */
export function renderRelease(input: RenderInput): InferenceService {
  const { release, bundles } = input;
  const { model, deployment, stable, canary } = release.spec;
  const mode: DeploymentMode = deployment?.mode ?? input.defaultMode;

  const annotations: Record<string, string> = { ...(release.metadata.annotations ?? {}) };
  annotations[ARTIFACTS_ANNOTATION] = formatArtifacts([
    { uri: stable.uri, digest: stable.digest, bundle: bundles.stable },
    ...(canary ? [{ uri: canary.uri, digest: canary.digest, bundle: bundles.canary }] : []),
  ]);
  annotations[STABLE_ANNOTATION] = formatStable(stable);
  annotations[DEPLOYMENT_MODE_ANNOTATION] = mode;

  const namespace = release.metadata.namespace ?? (input.namespace || undefined);
  const metadata: InferenceService['metadata'] = { name: release.metadata.name };
  if (namespace !== undefined) metadata.namespace = namespace;
  if (release.metadata.labels && Object.keys(release.metadata.labels).length > 0) {
    metadata.labels = sortKeys(release.metadata.labels);
  }
  metadata.annotations = sortKeys(annotations);

  const modelSpec = (storageUri: string, extra: Partial<ModelSpec> = {}): ModelSpec => {
    const m: ModelSpec = { modelFormat: { name: model.format } };
    if (model.formatVersion !== undefined) m.modelFormat.version = model.formatVersion;
    Object.assign(m, extra);
    if (model.runtime !== undefined) m.runtime = model.runtime;
    if (model.protocol !== undefined) m.protocolVersion = model.protocol;
    m.storageUri = storageUri;
    return m;
  };

  // Knative has one predictor whose latest revision is the canary when there is one: it carries the
  // label of the artifact it runs, so each revision keeps its artifact's label and a promotion
  // (the canary's record becoming the stable's) leaves the predictor, and the revision, unchanged.
  const served = mode === 'Knative' && canary ? canary : stable;
  const predictor: PredictorSpec = {};
  if (mode === 'Standard') predictor.name = predictorName(stable.digest);
  predictor.labels = artifactLabels(served.digest);
  if (deployment?.minReplicas !== undefined) predictor.minReplicas = deployment.minReplicas;
  if (deployment?.maxReplicas !== undefined) predictor.maxReplicas = deployment.maxReplicas;
  if (deployment?.serviceAccountName !== undefined)
    predictor.serviceAccountName = deployment.serviceAccountName;

  const resources = deployment?.resources;
  const withResources = (m: ModelSpec): ModelSpec => {
    if (resources && (resources.requests || resources.limits)) {
      m.resources = {};
      if (resources.requests) m.resources.requests = sortKeys(resources.requests);
      if (resources.limits) m.resources.limits = sortKeys(resources.limits);
    }
    return m;
  };

  const isvc: InferenceService = {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata,
    spec: { predictor },
  };

  if (mode === 'Knative') {
    // KServe's Knative canary: the candidate is the serving URI and gets canaryTrafficPercent;
    // the stable revision is the one KServe last rolled out, recorded in aviary.dev/stable.
    if (canary) predictor.canaryTrafficPercent = canary.traffic;
    predictor.model = withResources(modelSpec(served.uri));
  } else {
    predictor.model = withResources(modelSpec(stable.uri));
    if (canary) {
      isvc.spec.canary = [
        {
          trafficPercent: canary.traffic,
          predictor: {
            name: predictorName(canary.digest),
            labels: artifactLabels(canary.digest),
            model: modelSpec(canary.uri, { name: CANARY_CONTAINER_NAME }),
          },
        },
      ];
    }
  }
  return isvc;
}

/**
 * The predictor's pod labels. The spec has no field that reaches them (metadata labels stay on the
 * InferenceService, and `aviary.dev/` ones are refused there), so Aviary's label is the only one.
 */
function artifactLabels(digest: string): Record<string, string> {
  return { [ARTIFACT_LABEL]: artifactLabel(digest) };
}

function sortKeys<V>(record: Readonly<Record<string, V>>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key] as V;
  return out;
}
