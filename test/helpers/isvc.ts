import { createHash } from 'node:crypto';
import { formatArtifacts, formatStable, type ArtifactEvidence } from '@aviary/policies';
import { parsePolicies, type LoadedPolicy } from '@aviary/policies/engine';

/** A deterministic fake digest for a label. */
export function digestOf(label: string): string {
  return `sha256:${createHash('sha256').update(label).digest('hex')}`;
}

export interface IsvcOptions {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  uri: string;
  canary?: number;
  /** Knative: the recorded stable; its evidence is added too. */
  stable?: string;
  /** URIs to list in aviary.dev/artifacts; default: every URI named. */
  evidence?: ArtifactEvidence[];
  /** Standard mode canary entries. */
  canaries?: { name: string; uri: string; traffic: number }[];
  predictorName?: string;
  /** The deployment mode annotation; default Standard with canaries, else Knative. */
  mode?: 'Knative' | 'Standard';
  extraAnnotations?: Record<string, string>;
}

/** Builds an InferenceService the way the plugin renders it, for engine and webhook tests. */
export function isvc(o: IsvcOptions): Record<string, unknown> {
  const uris = [o.uri, ...(o.stable ? [o.stable] : []), ...(o.canaries ?? []).map((c) => c.uri)];
  const evidence = o.evidence ?? uris.map((uri) => ({ uri, digest: digestOf(uri) }));
  const annotations: Record<string, string> = {
    'serving.kserve.io/deploymentMode': o.mode ?? (o.canaries ? 'Standard' : 'Knative'),
    ...(evidence.length > 0 ? { 'aviary.dev/artifacts': formatArtifacts(evidence) } : {}),
    ...(o.stable
      ? { 'aviary.dev/stable': formatStable({ uri: o.stable, digest: digestOf(o.stable) }) }
      : {}),
    ...(o.extraAnnotations ?? {}),
  };
  const predictor: Record<string, unknown> = {
    ...(o.predictorName ? { name: o.predictorName } : {}),
    ...(o.canary !== undefined ? { canaryTrafficPercent: o.canary } : {}),
    model: { modelFormat: { name: 'sklearn' }, storageUri: o.uri },
  };
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name: o.name ?? 'iris',
      ...(o.namespace ? { namespace: o.namespace } : {}),
      ...(o.labels ? { labels: o.labels } : {}),
      annotations,
    },
    spec: {
      predictor,
      ...(o.canaries
        ? {
            canary: o.canaries.map((c) => ({
              trafficPercent: c.traffic,
              predictor: {
                name: c.name,
                model: {
                  modelFormat: { name: 'sklearn' },
                  name: 'kserve-container',
                  storageUri: c.uri,
                },
              },
            })),
          }
        : {}),
    },
  };
}

/** Parses policy YAML written inline in a test; fails loudly when the text is not a valid policy. */
export function policies(text: string): LoadedPolicy[] {
  const r = parsePolicies(text, 'policy.yaml');
  if (r.diagnostics.length > 0)
    throw new Error(`bad test policy: ${JSON.stringify(r.diagnostics)}`);
  return r.policies;
}

export function policy(name: string, spec: string): string {
  return `apiVersion: aviary.dev/v1alpha1\nkind: ModelReleasePolicy\nmetadata:\n  name: ${name}\nspec:\n${spec
    .split('\n')
    .map((l) => (l === '' ? l : `  ${l}`))
    .join('\n')}\n---\n`;
}
