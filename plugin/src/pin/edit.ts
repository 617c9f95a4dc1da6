import {
  replaceArtifact as replace,
  type ArtifactRecord,
  type Role,
} from '../release-edit/artifact.js';
import { EditUnsupported } from '../release-edit/source-ranges.js';
import { PinError } from './errors.js';

export type { ArtifactRecord, Role };

/** `replaceArtifact` of the shared in-place editor, with a layout it cannot edit as PIN_EDIT_UNSUPPORTED. */
export const replaceArtifact: typeof replace = (...args) => {
  try {
    return replace(...args);
  } catch (err) {
    if (err instanceof EditUnsupported)
      throw new PinError(
        'PIN_EDIT_UNSUPPORTED',
        `cannot edit the release in place: ${err.message}`,
      );
    throw err;
  }
};
