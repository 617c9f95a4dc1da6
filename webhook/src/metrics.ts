/**
 * Prometheus metrics in the text exposition format (version 0.0.4), written by hand: three small
 * types cover what the webhook exports, without a client library.
 */

type Labels = Readonly<Record<string, string>>;

interface Metric {
  render(): string;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatLabels(names: readonly string[], values: readonly string[], extra = ''): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra !== '') parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
}

abstract class Labelled<T> implements Metric {
  protected readonly series = new Map<string, { values: string[]; data: T }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
    /** For a value kept elsewhere (e.g. by the process): read on every scrape. */
    protected readonly collect?: () => number,
  ) {}
  protected entry(labels: Labels | undefined, init: () => T): T {
    const key = this.keyOf(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { values: this.labelNames.map((n) => labels?.[n] ?? ''), data: init() };
      this.series.set(key, s);
    }
    return s.data;
  }
  protected peek(labels: Labels | undefined): T | undefined {
    return this.series.get(this.keyOf(labels))?.data;
  }
  /** Label values joined by NUL; no arrays, since reviews update several series each. */
  private keyOf(labels: Labels | undefined): string {
    let key = '';
    for (let i = 0; i < this.labelNames.length; i++)
      key += (i === 0 ? '' : '\u0000') + (labels?.[this.labelNames[i]!] ?? '');
    return key;
  }
  abstract render(): string;
}

export class Counter extends Labelled<{ v: number }> {
  inc(labels?: Labels, by = 1): void {
    this.entry(labels, () => ({ v: 0 })).v += by;
  }
  get(labels?: Labels): number {
    return this.peek(labels)?.v ?? 0;
  }
  render(): string {
    if (this.collect) this.entry(undefined, () => ({ v: 0 })).v = this.collect();
    let out = header(this.name, this.help, 'counter');
    if (this.series.size === 0 && this.labelNames.length === 0) out += `${this.name} 0\n`;
    for (const s of this.series.values())
      out += `${this.name}${formatLabels(this.labelNames, s.values)} ${formatNumber(s.data.v)}\n`;
    return out;
  }
}

export class Gauge extends Labelled<{ v: number }> {
  set(value: number, labels?: Labels): void {
    this.entry(labels, () => ({ v: 0 })).v = value;
  }
  get(labels?: Labels): number {
    return this.peek(labels)?.v ?? 0;
  }
  render(): string {
    if (this.collect) this.set(this.collect());
    let out = header(this.name, this.help, 'gauge');
    for (const s of this.series.values())
      out += `${this.name}${formatLabels(this.labelNames, s.values)} ${formatNumber(s.data.v)}\n`;
    return out;
  }
}

interface HistogramData {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Labelled<HistogramData> {
  constructor(
    name: string,
    help: string,
    readonly buckets: readonly number[],
    labelNames: readonly string[] = [],
  ) {
    super(name, help, labelNames);
  }
  observe(value: number, labels?: Labels): void {
    const d = this.entry(labels, () => this.empty());
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]!) i++;
    d.counts[i]!++;
    d.sum += value;
    d.count++;
  }
  /** Cumulative counts per upper bound (the last is +Inf), for tests and the bench. */
  snapshot(labels?: Labels): { le: number; count: number }[] {
    const d = this.peek(labels) ?? this.empty();
    let acc = 0;
    return [...this.buckets, Infinity].map((le, i) => ({ le, count: (acc += d.counts[i]!) }));
  }
  private empty(): HistogramData {
    return { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }
  render(): string {
    let out = header(this.name, this.help, 'histogram');
    if (this.series.size === 0 && this.labelNames.length === 0)
      this.entry(undefined, () => this.empty());
    for (const s of this.series.values()) {
      let acc = 0;
      [...this.buckets, Infinity].forEach((le, i) => {
        acc += s.data.counts[i]!;
        out += `${this.name}_bucket${formatLabels(this.labelNames, s.values, `le="${formatNumber(le)}"`)} ${acc}\n`;
      });
      out += `${this.name}_sum${formatLabels(this.labelNames, s.values)} ${formatNumber(s.data.sum)}\n`;
      out += `${this.name}_count${formatLabels(this.labelNames, s.values)} ${s.data.count}\n`;
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  register<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }
  render(): string {
    return this.metrics.map((m) => m.render()).join('');
  }
}

/**
 * Admission latency buckets in seconds. They include the kube-apiserver's own webhook buckets
 * (0.005, 0.025, 0.1, 0.5, 1, 2.5) so the two histograms line up, plus sub-millisecond ones:
 * the policy-only path is expected well under 5 ms.
 */
export const DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
] as const;

/** Every metric the webhook exports. */
export interface WebhookMetrics {
  registry: Registry;
  /** One per AdmissionReview answered: allowed | denied | skipped | invalid | unavailable | error. */
  requests: Counter;
  /** One per matched policy and rule per reviewed object: pass | deny | warn | audit. */
  decisions: Counter;
  /** One per finding, by its stable code. */
  findings: Counter;
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
  const started = Date.now() / 1000;
  const m: WebhookMetrics = {
    registry,
    requests: registry.register(
      new Counter(
        'aviary_admission_requests_total',
        'AdmissionReview requests answered on /validate, by result (allowed, denied, skipped, invalid, unavailable, error) and kind (a governed kind, other, unknown).',
        ['result', 'kind'],
      ),
    ),
    decisions: registry.register(
      new Counter(
        'aviary_admission_decisions_total',
        'Rule outcomes per matched policy for each reviewed object (pass, deny, warn, audit).',
        ['policy', 'rule', 'mode', 'decision'],
      ),
    ),
    findings: registry.register(
      new Counter(
        'aviary_admission_findings_total',
        'Findings by policy, rule, mode and stable finding code.',
        ['policy', 'rule', 'mode', 'code'],
      ),
    ),
    duration: registry.register(
      new Histogram(
        'aviary_admission_duration_seconds',
        'Time to answer /validate: from its headers being read to the response being handed to the connection (body parsing and evaluation included).',
        DURATION_BUCKETS,
      ),
    ),
    policiesLoaded: registry.register(
      new Gauge('aviary_policies_loaded', 'ModelReleasePolicies in the active set.'),
    ),
    policyReloads: registry.register(
      new Counter('aviary_policy_reloads_total', 'Policy sets loaded and activated.', []),
    ),
    policyReloadErrors: registry.register(
      new Counter(
        'aviary_policy_reload_errors_total',
        'Policy loads rejected; the last good set stays active.',
        [],
      ),
    ),
    policyLastReload: registry.register(
      new Gauge(
        'aviary_policy_last_reload_success_timestamp_seconds',
        'When the active policy set was loaded (Unix time).',
      ),
    ),
    tlsReloads: registry.register(
      new Counter('aviary_tls_reloads_total', 'Certificate pairs loaded and activated.', []),
    ),
    tlsReloadErrors: registry.register(
      new Counter(
        'aviary_tls_reload_errors_total',
        'Certificate pairs rejected; the previous pair keeps serving.',
        [],
      ),
    ),
    tlsNotAfter: registry.register(
      new Gauge(
        'aviary_tls_certificate_expiry_timestamp_seconds',
        'notAfter of the serving certificate (Unix time); alert well before it.',
      ),
    ),
  };
  m.policiesLoaded.set(0);
  registry.register(
    new Gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', [], () =>
      process.memoryUsage.rss(),
    ),
  );
  registry.register(
    new Counter(
      'process_cpu_seconds_total',
      'Total user and system CPU time spent in seconds.',
      [],
      () => {
        const used = process.cpuUsage();
        return (used.user + used.system) / 1e6;
      },
    ),
  );
  registry.register(
    new Gauge(
      'process_start_time_seconds',
      'Start time of the process (Unix time).',
      [],
      () => started,
    ),
  );
  return m;
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
