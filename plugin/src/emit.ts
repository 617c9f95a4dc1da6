import { Document } from 'yaml';

/**
 * Writes objects as a YAML stream. YAML 1.1 quoting is used on purpose: Argo CD and kubectl parse
 * with Go YAML libraries that still read `on`, `yes` or `0755` the 1.1 way, so any string that a
 * 1.1 reader could take for another type is quoted.
 */
export function emitYamlStream(objects: readonly unknown[]): string {
  return objects
    .map((o) => new Document(o, { version: '1.1' }).toString({ lineWidth: 0, directives: false }))
    .map((text) => `---\n${text}`)
    .join('');
}
