import { objectAt } from '../object.js';
import type { DeploymentMode } from './locations.js';
import { DEPLOYMENT_MODE_ANNOTATION } from './types.js';

/** KServe's defaulter maps the legacy names onto the canonical ones before anything reads them. */
const MODES: Readonly<Record<string, DeploymentMode>> = {
  Knative: 'Knative',
  Serverless: 'Knative',
  Standard: 'Standard',
  RawDeployment: 'Standard',
};

/**
 * The mode an object states for itself. Absent, `ModelMesh` or an unknown value leave the choice
 * to the cluster's `defaultDeploymentMode`, which the object does not show.
 */
export function declaredMode(metadata: unknown): DeploymentMode | undefined {
  const value = objectAt(objectAt(metadata)['annotations'])[DEPLOYMENT_MODE_ANNOTATION];
  return typeof value === 'string' && Object.hasOwn(MODES, value) ? MODES[value] : undefined;
}

/**
 * The readings a decision must hold under: the object's own mode, else the cluster default the
 * policy states, else both, so a share KServe might ignore never counts as a step.
 */
export function readingsFor(
  declared: DeploymentMode | undefined,
  clusterDefault: DeploymentMode | undefined,
): readonly DeploymentMode[] {
  const mode = declared ?? clusterDefault;
  return mode === undefined ? BOTH : mode === 'Knative' ? KNATIVE : STANDARD;
}

const BOTH: readonly DeploymentMode[] = Object.freeze(['Knative', 'Standard']);
const KNATIVE: readonly DeploymentMode[] = Object.freeze(['Knative']);
const STANDARD: readonly DeploymentMode[] = Object.freeze(['Standard']);
