import type { Code } from './codes.js';

/**
 * A rule's verdict on one field: a stable `code` to branch on, the JSON `path` of the offending
 * field (e.g. `spec.predictor.model.storageUri`) and a message a person can act on.
 */
export interface Finding<C extends Code = Code> {
  code: C;
  path: string;
  message: string;
}
