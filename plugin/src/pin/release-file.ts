import { parseYamlStream, validateModelRelease, type ModelRelease } from '@aviary/policies';
import { PinError } from './errors.js';

export interface FoundRelease {
  /** Index of the document in the stream (as `yaml` counts them). */
  index: number;
  release: ModelRelease;
  line: number;
}

/**
 * The one ModelRelease named `name` in a file. The whole file must read cleanly (the edit is
 * checked against its meaning), and the name must pick exactly one document: pinning one of two
 * would leave the other, which Argo CD also applies, behind.
 */
export function findRelease(text: string, file: string, name: string): FoundRelease {
  const parsed = parseYamlStream(text, file);
  if (parsed.diagnostics.length > 0)
    throw new PinError('SPEC_INVALID', `${file} does not read cleanly`, {
      diagnostics: parsed.diagnostics,
    });
  const hits = parsed.documents
    .map((doc, index) => ({ doc, index }))
    .filter(({ doc }) => {
      const v = doc.value as Record<string, unknown> | null;
      const meta = v?.['metadata'] as Record<string, unknown> | undefined;
      return v?.['kind'] === 'ModelRelease' && meta?.['name'] === name;
    });
  if (hits.length === 0)
    throw new PinError('PIN_RELEASE_NOT_FOUND', `${file} has no ModelRelease named "${name}"`);
  if (hits.length > 1)
    throw new PinError(
      'PIN_RELEASE_AMBIGUOUS',
      `${file} has ${hits.length} ModelReleases named "${name}", at lines ${hits.map((h) => h.doc.line).join(', ')}`,
    );
  const { doc, index } = hits[0]!;
  const checked = validateModelRelease(doc, file);
  if (checked.release === undefined)
    throw new PinError('SPEC_INVALID', `the release "${name}" is not valid as it stands`, {
      diagnostics: checked.diagnostics,
    });
  return { index, release: checked.release, line: doc.line };
}
