import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { strictCrdValidator } from './crd.js';
import { SHARED } from './paths.js';

/**
 * The real KServe v0.20.0 InferenceService CRD schema, made strict (see strictCrdValidator): a plain
 * JSON Schema check of the CRD would let typos such as storageURI through.
 */
export function loadStrictIsvcValidator(): ValidateFunction {
  return strictCrdValidator(
    path.join(SHARED, 'crds/serving.kserve.io_inferenceservices.yaml'),
    'v1beta1',
  );
}
