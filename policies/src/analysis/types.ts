import type { Code } from '../codes.js';

/** One metric of an analysis, defaults applied. */
export interface MetricSpec {
  name: string;
  query: string;
  thresholdRange?: { min?: number; max?: number };
  baseline?: { maxDelta?: number; maxRatio?: number };
  failureLimit: number;
  noData: 'inconclusive' | 'fail' | 'pass';
}

/** A loaded ModelAnalysis: durations in seconds, defaults applied. */
export interface ModelAnalysis {
  name: string;
  /** Seconds between measurements, and the `{{window}}`. */
  interval: number;
  /** Seconds after the step start before the first measurement window opens. */
  initialDelay: number;
  count: number;
  minSamples?: { query: string; min: number };
  metrics: MetricSpec[];
}

/** What the analysis needs to know about one release. */
export interface AnalysisTarget {
  /** `namespace/name`, or `name` when no namespace is known. */
  release: string;
  /** The InferenceService name. */
  name: string;
  namespace?: string;
  canary: { digest: string; artifact: string; traffic: number };
  stable: { digest: string; artifact: string };
  steps: number[];
  onFailure: 'rollback' | 'hold';
}

/** One instant query to run; `key` is unique per (expanded query, time). */
export interface QueryRequest {
  key: string;
  query: string;
  /** Unix seconds: Prometheus's `time=`. */
  time: number;
}

/** The samples Prometheus returned for a request (a scalar is one value; NaN is kept). */
export interface QueryAnswer {
  values: number[];
}

export type Phase = 'passed' | 'failed' | 'inconclusive' | 'running';
export type Verdict = 'passed' | 'failed' | 'inconclusive' | 'pending';

export interface Measurement {
  time: number;
  /** The canary's value; null when there was no data (or the measurement is pending). */
  value: number | null;
  /** The stable's value under the same query; null without a baseline or without data. */
  stable: number | null;
  verdict: Verdict;
}

export interface MetricOutcome {
  name: string;
  phase: Phase;
  measurements: Measurement[];
}

export type DecisionKind = 'none' | 'wait' | 'hold' | 'step' | 'promote' | 'rollback';

export interface Outcome {
  /** null: the release could not be decided (see `error`). */
  decision: DecisionKind | null;
  /** The canary's share now. */
  from: number;
  /** The share after the decision (`from` for none, wait, hold and an error). */
  to: number;
  metrics: MetricOutcome[];
  error?: { code: Code; message: string };
}
