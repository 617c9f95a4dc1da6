import { KUBERNETES_WRITE } from '@aviary/policies';
import { Document } from 'yaml';

/**
 * Writes objects as a YAML stream for Argo CD and kubectl, whose Go YAML reader (go-yaml v2) still
 * reads `on`, `yes`, `0755` or `0o755` as booleans and numbers: any string that it, or any other
 * YAML 1.1 reader, could take for another type is quoted, and a `"<<"` key stays a quoted key
 * rather than becoming a merge.
 */
export function emitYamlStream(objects: readonly unknown[]): string {
  return objects
    .map((o) => new Document(o, KUBERNETES_WRITE).toString({ lineWidth: 0, directives: false }))
    .map((text) => `---\n${text}`)
    .join('');
}
