import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Admission latency buckets in seconds. They include the kube-apiserver's own webhook buckets
 * (0.005, 0.025, 0.1, 0.5, 1, 2.5) so the two histograms line up, plus sub-millisecond ones:
 * the policy-only path is expected well under 5 ms.
 */
export const DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
] as const;

/** Every metric the webhook exports, in a registry of its own (never prom-client's global one). */
export interface WebhookMetrics {
  registry: Registry;
  /** One per AdmissionReview answered: allowed | denied | skipped | invalid | unavailable | error. */
  requests: Counter<'result' | 'kind'>;
  /** One per matched policy and rule per reviewed object: pass | deny | warn | audit. */
  decisions: Counter<'policy' | 'rule' | 'mode' | 'decision'>;
  /** One per finding, by its stable code. */
  findings: Counter<'policy' | 'rule' | 'mode' | 'code'>;
  duration: Histogram;
  policiesLoaded: Gauge;
  policyReloads: Counter;
  policyReloadErrors: Counter;
  policyLastReload: Gauge;
  tlsReloads: Counter;
  tlsReloadErrors: Counter;
  tlsNotAfter: Gauge;
}

export function createMetrics(): WebhookMetrics {
  const registry = new Registry();
  // process_cpu_seconds_total, process_resident_memory_bytes, process_start_time_seconds, nodejs_*.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'aviary_admission_requests_total',
      help: 'AdmissionReview requests answered on /validate, by result (allowed, denied, skipped, invalid, unavailable, error) and kind (a governed kind, other, unknown).',
      labelNames: ['result', 'kind'],
      registers,
    }),
    decisions: new Counter({
      name: 'aviary_admission_decisions_total',
      help: 'Rule outcomes per matched policy for each reviewed object (pass, deny, warn, audit).',
      labelNames: ['policy', 'rule', 'mode', 'decision'],
      registers,
    }),
    findings: new Counter({
      name: 'aviary_admission_findings_total',
      help: 'Findings by policy, rule, mode and stable finding code.',
      labelNames: ['policy', 'rule', 'mode', 'code'],
      registers,
    }),
    duration: new Histogram({
      name: 'aviary_admission_duration_seconds',
      help: 'Time to answer /validate: from its headers being read to the response being handed to the connection (body parsing and evaluation included).',
      buckets: [...DURATION_BUCKETS],
      registers,
    }),
    policiesLoaded: new Gauge({
      name: 'aviary_policies_loaded',
      help: 'ModelReleasePolicies in the active set.',
      registers,
    }),
    policyReloads: new Counter({
      name: 'aviary_policy_reloads_total',
      help: 'Policy sets loaded and activated.',
      registers,
    }),
    policyReloadErrors: new Counter({
      name: 'aviary_policy_reload_errors_total',
      help: 'Policy loads rejected; the last good set stays active.',
      registers,
    }),
    policyLastReload: new Gauge({
      name: 'aviary_policy_last_reload_success_timestamp_seconds',
      help: 'When the active policy set was loaded (Unix time).',
      registers,
    }),
    tlsReloads: new Counter({
      name: 'aviary_tls_reloads_total',
      help: 'Certificate pairs loaded and activated.',
      registers,
    }),
    tlsReloadErrors: new Counter({
      name: 'aviary_tls_reload_errors_total',
      help: 'Certificate pairs rejected; the previous pair keeps serving.',
      registers,
    }),
    tlsNotAfter: new Gauge({
      name: 'aviary_tls_certificate_expiry_timestamp_seconds',
      help: 'notAfter of the serving certificate (Unix time); alert well before it.',
      registers,
    }),
  };
}

/** Estimates a quantile from cumulative buckets the way PromQL's histogram_quantile does. */
export function histogramQuantile(
  q: number,
  buckets: readonly { le: number; count: number }[],
): number {
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      return prevLe + ((b.le - prevLe) * (rank - prevCount)) / Math.max(1, b.count - prevCount);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}
