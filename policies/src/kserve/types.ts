/**
 * The slice of KServe's v1beta1 InferenceService that Aviary reads and writes. Objects that arrive
 * in admission are untrusted, so readers treat every field as possibly missing or mistyped.
 */

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface ModelSpec {
  modelFormat: { name: string; version?: string };
  name?: string;
  runtime?: string;
  protocolVersion?: string;
  storageUri?: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  [key: string]: unknown;
}

export interface PredictorSpec {
  name?: string;
  /** Pod labels of this predictor's revision or Deployment (KServe merges them over the ISVC's). */
  labels?: Record<string, string>;
  minReplicas?: number;
  maxReplicas?: number;
  serviceAccountName?: string;
  canaryTrafficPercent?: number;
  model?: ModelSpec;
  [key: string]: unknown;
}

export interface CanarySpec {
  trafficPercent: number;
  predictor: PredictorSpec;
}

export interface InferenceService {
  apiVersion: 'serving.kserve.io/v1beta1';
  kind: 'InferenceService';
  metadata: ObjectMeta;
  spec: {
    predictor: PredictorSpec;
    canary?: CanarySpec[];
    transformer?: Record<string, unknown>;
    explainer?: Record<string, unknown>;
  };
  [key: string]: unknown;
}

export const ISVC_API_VERSION = 'serving.kserve.io/v1beta1';
export const ISVC_KIND = 'InferenceService';
export const DEPLOYMENT_MODE_ANNOTATION = 'serving.kserve.io/deploymentMode';
