import { parseYamlStream } from '@aviary/policies';

/** A ModelRelease inside a multi-document file: its `metadata.name` and own `metadata.namespace`. */
export interface ReleaseId {
  name: string;
  /** The document's own `metadata.namespace`; undefined when it sets none. */
  namespace?: string;
}

export interface ReleaseDoc {
  /** Index of the document in the stream (as the `yaml` parser and the editors count them). */
  index: number;
  /** The document's plain value. */
  value: Record<string, unknown>;
}

/**
 * The ModelRelease documents of `text` with this identity, or undefined when the file does not
 * read cleanly (a version Argo CD could not have applied).
 */
export function releaseDocs(text: string, file: string, id: ReleaseId): ReleaseDoc[] | undefined {
  const parsed = parseYamlStream(text, file);
  if (parsed.diagnostics.length > 0) return undefined;
  return parsed.documents.flatMap((doc, index) => {
    const value = doc.value as Record<string, unknown> | null;
    const meta = value?.['metadata'] as Record<string, unknown> | undefined;
    return value?.['kind'] === 'ModelRelease' &&
      meta?.['name'] === id.name &&
      meta['namespace'] === id.namespace
      ? [{ index, value }]
      : [];
  });
}

/** `namespace/name`, or `name` when the release sets no namespace. */
export function releaseLabel(id: ReleaseId): string {
  return id.namespace === undefined ? id.name : `${id.namespace}/${id.name}`;
}
