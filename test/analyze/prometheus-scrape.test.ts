import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { ARTIFACT_METRIC_LABEL, artifactLabel } from '@aviary/policies';
import { prometheusClient } from '../../plugin/src/analyze/prometheus.js';
import { REPO } from '../helpers/paths.js';
import { scrapeConfig, startExporter, startPrometheus } from './prometheus.js';

/**
 * End to end on loopback, as in a cluster: two "pods" (a canary and a stable exporter) serve
 * Knative's queue-proxy request counter without any artifact label, as queue-proxy does; the
 * scrape targets carry the pod label the renderer sets, the way Kubernetes service discovery
 * presents it (`__meta_kubernetes_pod_label_aviary_dev_artifact`), and the shipped relabel rule
 * (deploy/observability/scrape-artifact-label.yaml) turns it into `aviary_dev_artifact`. A real
 * Prometheus scrapes every second, and the analyzer's client finds each artifact's series by
 * artifactLabel(digest).
 */
t.test(
  'a live scrape carries the artifact label to the analyzer',
  { timeout: 120_000 },
  async (t) => {
    const canary = artifactLabel(`sha256:${'ab'.repeat(32)}`);
    const stable = artifactLabel(`sha256:${'12'.repeat(32)}`);
    const started = Date.now();
    const pod = (perSecond: number) =>
      startExporter(() =>
        [
          '# HELP revision_app_request_count The number of requests that are routed to queue-proxy',
          '# TYPE revision_app_request_count counter',
          `revision_app_request_count{namespace_name="fraud",response_code_class="2xx"} ${Math.floor(((Date.now() - started) / 1000) * perSecond)}`,
          '',
        ].join('\n'),
      );
    const canaryPod = await pod(10);
    t.teardown(() => canaryPod.stop());
    const stablePod = await pod(30);
    t.teardown(() => stablePod.stop());
    const relabel = parse(
      readFileSync(path.join(REPO, 'deploy/observability/scrape-artifact-label.yaml'), 'utf8'),
    ) as unknown[];
    const podLabel = (artifact: string) => ({
      __meta_kubernetes_pod_label_aviary_dev_artifact: artifact,
    });
    const prometheus = await startPrometheus('# EOF\n', {
      config: scrapeConfig(
        [
          { target: canaryPod.target, labels: podLabel(canary) },
          { target: stablePod.target, labels: podLabel(stable) },
        ],
        { relabel },
      ),
    });
    t.teardown(() => prometheus.stop());
    const client = prometheusClient(prometheus.url, { timeoutMs: 5000 });
    const now = () => Date.now() / 1000;

    // irate: the per-second increase between the last two scrapes (rate() over a window holding only
    // two of them would extrapolate and divide by the whole window).
    const perSecond = (artifact: string) =>
      `sum(irate(revision_app_request_count{namespace_name="fraud", ${ARTIFACT_METRIC_LABEL}="${artifact}"}[10s]))`;
    // Each target is scraped at its own offset in the interval: wait for both, bounded.
    let stableRate: number[] = [];
    let canaryRate: number[] = [];
    for (let i = 0; i < 60 && (stableRate.length === 0 || canaryRate.length === 0); i++) {
      await new Promise((r) => setTimeout(r, 500));
      stableRate = (await client.query(perSecond(stable), now())).values;
      canaryRate = (await client.query(perSecond(canary), now())).values;
    }
    t.ok(stablePod.scrapes() >= 2 && canaryPod.scrapes() >= 2, 'both pods scraped twice or more');
    t.equal(stableRate.length, 1, 'one series for the stable');
    t.ok(stableRate[0]! > 20 && stableRate[0]! < 40, `stable rate ${stableRate[0]} ≈ 30/s`);
    t.equal(canaryRate.length, 1, 'one series for the canary');
    t.ok(canaryRate[0]! > 5 && canaryRate[0]! < 15, `canary rate ${canaryRate[0]} ≈ 10/s`);

    t.same(
      await client.query(`count(revision_app_request_count{${ARTIFACT_METRIC_LABEL}!=""})`, now()),
      { values: [2] },
      'every scraped series carries the label',
    );
    t.same(
      await client.query(
        `revision_app_request_count{${ARTIFACT_METRIC_LABEL}="000000000000"}`,
        now(),
      ),
      { values: [] },
      'another artifact: no data',
    );
  },
);
