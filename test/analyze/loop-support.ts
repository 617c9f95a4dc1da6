import type { Series } from './prometheus.js';

/**
 * The repository and the Prometheus history the analyzer's loop tests share: releases at 5 %
 * with a 5/25/50 rollout, an analysis on Knative queue-proxy counters, and a policy allowing
 * exactly those steps.
 */
const STEP = 15;
export const DIGEST = (c: string) => `sha256:${c.repeat(64)}`;
export const ART = (c: string) => c.repeat(12);

/** Counter series of Knative's queue-proxy for one artifact: `ok` 2xx/s and `bad` 5xx/s. */
export function traffic(
  artifact: string,
  ok: number,
  bad: number,
  from: number,
  to: number,
): Series[] {
  const points = (rate: number): [number, number][] => {
    const out: [number, number][] = [];
    for (let s = from; s <= to; s += STEP) out.push([s, rate * (s - from)]);
    return out;
  };
  const labels = (klass: string) => ({
    namespace_name: 'ml',
    aviary_dev_artifact: artifact,
    response_code_class: klass,
  });
  return [
    { name: 'revision_app_request_count', labels: labels('2xx'), points: points(ok) },
    { name: 'revision_app_request_count', labels: labels('5xx'), points: points(bad) },
  ];
}

export const ANALYSIS = `# what a good canary must show
apiVersion: aviary.dev/v1alpha1
kind: ModelAnalysis
metadata:
  name: errors
spec:
  interval: 1m
  count: 2
  minSamples:
    query: sum(increase(revision_app_request_count{namespace_name="{{namespace}}", aviary_dev_artifact="{{artifact}}"}[{{window}}]))
    min: 100
  metrics:
    - name: error-rate
      query: |
        sum(rate(revision_app_request_count{namespace_name="{{namespace}}", aviary_dev_artifact="{{artifact}}", response_code_class="5xx"}[{{window}}]))
        / sum(rate(revision_app_request_count{namespace_name="{{namespace}}", aviary_dev_artifact="{{artifact}}"}[{{window}}]))
      thresholdRange: { max: 0.01 }
      baseline: { maxDelta: 0.005 }
`;

// No minSamples: with no series at all, every measurement counts and has no data.
export const QUIET_ANALYSIS = `apiVersion: aviary.dev/v1alpha1
kind: ModelAnalysis
metadata:
  name: quiet
spec:
  interval: 1m
  count: 2
  metrics:
    - name: error-rate
      query: sum(rate(revision_app_request_count{aviary_dev_artifact="{{artifact}}", response_code_class="5xx"}[{{window}}]))
      thresholdRange: { max: 1 }
`;

export const POLICY = `apiVersion: aviary.dev/v1alpha1
kind: ModelReleasePolicy
metadata:
  name: canary-steps
spec:
  match:
    namespaces: [ml]
  pinning:
    allowedSchemes: [s3]
  canary:
    steps: [0, 5, 25, 50]
    maxIncrease: 25
`;

export function releaseText(
  name: string,
  canary: string,
  analysis: string,
  onFailure = 'rollback',
): string {
  return `# ${name}: owned by the fraud team
apiVersion: aviary.dev/v1alpha1
kind: ModelRelease
metadata:
  name: ${name}
  namespace: ml
spec:
  model: { format: sklearn }
  stable:
    uri: s3://models/${name}/1.0.0/
    digest: ${DIGEST('a')}   # the model in production
  canary:
    uri: s3://models/${name}/1.1.0/
    digest: ${DIGEST(canary)}
    traffic: 5
  rollout:
    steps: [5, 25, 50]
    analysis: ../analysis/${analysis}.yaml
    onFailure: ${onFailure}
`;
}
