/**
 * What every Aviary document (ModelRelease, ModelReleasePolicy, ModelAnalysis) has around its
 * spec, for the schemas' single sources. The `const` type parameter keeps `kind` a literal, so the
 * types json-schema-to-ts derives stay exact.
 */
export function documentKind<const K extends string>(kind: K) {
  return { apiVersion: { const: 'aviary.dev/v1alpha1' }, kind: { const: kind } } as const;
}

export const DOCUMENT_REQUIRED = ['apiVersion', 'kind', 'metadata', 'spec'] as const;

/** A lower-case RFC 1123 label: the names Aviary documents give their parts. */
export const LABEL_NAME = {
  type: 'string',
  minLength: 1,
  maxLength: 63,
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
} as const;
