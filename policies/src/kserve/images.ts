import type { Finding } from '../finding.js';
import { isObject, objectAt } from '../object.js';
import { FRAMEWORK_KEYS } from './locations.js';

export interface ImageField {
  /** The field, e.g. `spec.predictor.containers[0].image`. */
  path: string;
  ref: string;
}

/**
 * Every container image a pod built from this object pulls: the `image` of each container, init
 * container, ephemeral container and implementation block (`model`, `sklearn`, `art`…) at any
 * depth of `spec`, worker specs and canary entries included, and the `reference` of each image
 * volume. The walk goes everywhere, so a container list in a field added later is still found,
 * but takes `image` only where the CRDs put a container image: a label, annotation or
 * nodeSelector named `image`, or a Ceph volume's `rbd.image`, is not one.
 */
export function containerImages(object: unknown): { images: ImageField[]; problems: Finding[] } {
  const images: ImageField[] = [];
  const problems: Finding[] = [];
  const visit = (node: unknown, path: string, parentKey: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${path}[${i}]`, parentKey));
      return;
    }
    if (!isObject(node)) return;
    for (const [key, value] of Object.entries(node)) {
      const at = `${path}.${key}`;
      if (key === 'image' && (HOLDERS.has(parentKey) || parentKey === 'volumes')) {
        // Empty or null is "no image of its own": KServe uses the serving runtime's image.
        if (value === '' || value === null) continue;
        if (typeof value === 'string') images.push({ path: at, ref: value });
        else if (parentKey === 'volumes' && isObject(value)) {
          const ref = value['reference'];
          if (typeof ref === 'string') images.push({ path: `${at}.reference`, ref });
          else problems.push(invalid(`${at}.reference`));
        } else problems.push(invalid(at));
        continue;
      }
      visit(value, at, key);
    }
  };
  visit(objectAt(object)['spec'], 'spec', 'spec');
  return { images, problems };
}

/** Fields whose value (or list items) may carry a container image of its own. */
const HOLDERS = new Set<string>([
  'containers',
  'initContainers',
  'ephemeralContainers',
  'model',
  'art',
  ...FRAMEWORK_KEYS,
]);

function invalid(path: string): Finding {
  return { code: 'IMAGE_INVALID', path, message: 'an image must be a reference string' };
}
