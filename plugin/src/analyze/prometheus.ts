import type { Code } from '@aviary/policies';
import type { QueryAnswer } from '@aviary/policies/analysis';
import { EXIT } from '../io.js';
import { AnalyzeError } from './errors.js';
import { limiter } from './limit.js';

export interface PrometheusOptions {
  /** Deadline of one query, body included; also sent as Prometheus's own `timeout`. Default 30 s. */
  timeoutMs?: number;
  /** Largest answer read; the connection is dropped past it. Default 4 MiB. */
  maxBytes?: number;
  /**
   * Queries in flight at once. Default 8. A pass over hundreds of releases then holds at most
   * about twice as many sockets (fetch frees one just after its body ends).
   */
  concurrency?: number;
}

export interface PrometheusClient {
  /** One instant query evaluated at `time` (unix seconds). Rejects with an AnalyzeError (exit 4). */
  query(q: string, time: number): Promise<QueryAnswer>;
}

export const PROMETHEUS_DEFAULTS = Object.freeze({
  timeoutMs: 30_000,
  maxBytes: 4 * 1024 * 1024,
  concurrency: 8,
});

/**
 * A client of Prometheus's HTTP API `/api/v1/query`, for the analyzer. Every failure is an
 * AnalyzeError with a PROMETHEUS_* code and exit 4, and the release it concerns decides nothing, so
 * nothing here retries or accepts a partial answer: a decision must rest on the whole answer of
 * one evaluation. The base URL may carry a path prefix (`http://host/prometheus`) and basic-auth
 * userinfo, which is sent as a header and never appears in a message.
 */
export function prometheusClient(base: string, options: PrometheusOptions = {}): PrometheusClient {
  const { endpoint, where, authorization } = parseBase(base);
  const timeoutMs = positive(options.timeoutMs, PROMETHEUS_DEFAULTS.timeoutMs, 'timeoutMs');
  const maxBytes = positive(options.maxBytes, PROMETHEUS_DEFAULTS.maxBytes, 'maxBytes');
  const concurrency = positive(options.concurrency, PROMETHEUS_DEFAULTS.concurrency, 'concurrency');
  // Uncompressed: an answer is a few samples, and a gunzip stream per answer cost a pass over 200
  // releases (3,600 queries) about 3 s of CPU, more than all its YAML and policy work.
  const headers: Record<string, string> = {
    accept: 'application/json',
    'accept-encoding': 'identity',
  };
  if (authorization !== undefined) headers['authorization'] = authorization;
  const limit = limiter(Math.floor(concurrency));

  async function once(q: string, time: number): Promise<QueryAnswer> {
    const what = `Prometheus at ${where}, query ${quote(q)} at ${iso(time)}`;
    const signal = AbortSignal.timeout(timeoutMs);
    const body = new URLSearchParams({
      query: q,
      time: String(time),
      timeout: String(timeoutMs / 1000),
    });
    let status: number;
    let text: string;
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal,
      });
      status = res.status;
      if (status >= 300 && status <= 399) {
        await res.body?.cancel();
        throw unavailable(
          'PROMETHEUS_HTTP',
          `${what}: answered ${status}, a redirect (not followed)`,
        );
      }
      text = await readBounded(res, maxBytes, what);
    } catch (err) {
      if (err instanceof AnalyzeError) throw err;
      if (signal.aborted)
        throw unavailable('PROMETHEUS_TIMEOUT', `${what}: no answer within ${timeoutMs / 1000} s`);
      throw unavailable('PROMETHEUS_UNREACHABLE', `${what}: cannot reach it (${cause(err)})`);
    }
    const json = parseObject(text);
    if (json?.['status'] === 'error') throw refusal(json, status, what);
    if (status < 200 || status > 299)
      throw unavailable('PROMETHEUS_HTTP', `${what}: answered ${status}`);
    if (json?.['status'] !== 'success')
      throw unavailable(
        'PROMETHEUS_BAD_RESPONSE',
        `${what}: the answer is not a Prometheus JSON answer`,
      );
    return answer(json, what);
  }

  return {
    query: (q, time) => {
      if (!Number.isFinite(time))
        return Promise.reject(
          new AnalyzeError('USAGE_INVALID', `query time ${time} is not a number`),
        );
      return limit(() => once(q, time));
    },
  };
}

function parseBase(base: string): { endpoint: URL; where: string; authorization?: string } {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new AnalyzeError('USAGE_INVALID', 'the Prometheus URL is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new AnalyzeError('USAGE_INVALID', 'the Prometheus URL must be http:// or https://');
  if (url.search !== '' || url.hash !== '')
    throw new AnalyzeError(
      'USAGE_INVALID',
      'the Prometheus URL must not carry a query or fragment',
    );
  // fetch refuses URLs with credentials: they travel as a header, and stay out of every message.
  const authorization =
    url.username !== '' || url.password !== ''
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      : undefined;
  url.username = '';
  url.password = '';
  const root = url.href.endsWith('/') ? url.href : `${url.href}/`;
  return {
    endpoint: new URL('api/v1/query', root),
    where: root.slice(0, -1),
    ...(authorization !== undefined ? { authorization } : {}),
  };
}

/** The answer of a `status: success` JSON: a scalar, or a vector of float samples. */
function answer(json: Record<string, unknown>, what: string): QueryAnswer {
  const bad = (why: string) => unavailable('PROMETHEUS_BAD_RESPONSE', `${what}: ${why}`);
  // Storage warnings (a failed remote read, a partial response of a federated store) mean the
  // answer may lack series; PromQL's own annotations ("PromQL warning: …") do not.
  const warnings: unknown[] = Array.isArray(json['warnings']) ? json['warnings'] : [];
  const partial = warnings.find((w) => typeof w !== 'string' || !w.startsWith('PromQL '));
  if (partial !== undefined)
    throw bad(`answered with a warning of partial data: ${clean(partial)}`);
  const data = json['data'];
  if (data === null || typeof data !== 'object') throw bad('the answer has no data');
  const { resultType, result } = data as Record<string, unknown>;
  if (resultType === 'scalar') {
    const v = sampleValue(result);
    if (v === undefined) throw bad('the scalar is not [time, "value"]');
    return { values: [v] };
  }
  if (resultType !== 'vector')
    throw bad(
      `the result is a ${typeof resultType === 'string' ? clean(resultType) : 'missing type'}; a query must give a scalar or an instant vector`,
    );
  if (!Array.isArray(result)) throw bad('the vector is not a list');
  const samples: { key: string; value: number }[] = [];
  for (const s of result as unknown[]) {
    const { metric, value } = (s ?? {}) as Record<string, unknown>;
    const v = sampleValue(value);
    if (v === undefined) throw bad('a vector sample is not a float [time, "value"]');
    samples.push({ key: labelKey(metric), value: v });
  }
  // Prometheus does not order an instant vector: sort by labels so repeated passes agree.
  samples.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { values: samples.map((s) => s.value) };
}

const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** `[time, "value"]` → the value; Prometheus spells the specials NaN, +Inf and -Inf. */
function sampleValue(pair: unknown): number | undefined {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'number') return undefined;
  const s: unknown = pair[1];
  if (typeof s !== 'string') return undefined;
  if (s === 'NaN') return NaN;
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return FLOAT.test(s) ? Number(s) : undefined;
}

function labelKey(metric: unknown): string {
  if (metric === null || typeof metric !== 'object') return '';
  return JSON.stringify(Object.entries(metric).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A `status: error` answer: Prometheus says why in `errorType`. */
function refusal(json: Record<string, unknown>, status: number, what: string): AnalyzeError {
  const type = typeof json['errorType'] === 'string' ? json['errorType'] : 'unknown';
  const message = `${what}: answered ${status} ${clean(type)}: ${clean(json['error'])}`;
  if (type === 'bad_data' || type === 'execution')
    return unavailable('PROMETHEUS_QUERY_REFUSED', message);
  if (type === 'timeout') return unavailable('PROMETHEUS_TIMEOUT', message);
  return unavailable('PROMETHEUS_HTTP', message);
}

/** The body as text, dropping the connection as soon as it passes `maxBytes`. */
async function readBounded(res: Response, maxBytes: number, what: string): Promise<string> {
  const tooLarge = () =>
    unavailable('PROMETHEUS_TOO_LARGE', `${what}: the answer exceeds ${maxBytes} bytes`);
  if (Number(res.headers.get('content-length') ?? 0) > maxBytes) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (res.body === null) return '';
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new AnalyzeError('USAGE_INVALID', `Prometheus ${name} must be a positive number`);
  return value;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function unavailable(code: Code, message: string): AnalyzeError {
  return new AnalyzeError(code, message, { exit: EXIT.UNAVAILABLE });
}

function cause(err: unknown): string {
  const c = (err as { cause?: { code?: string } }).cause;
  return c?.code ?? (err instanceof Error ? err.message : String(err));
}

/** Text from the server or the analysis, printable and short: no terminal control sequences. */
function clean(v: unknown): string {
  return [...String(v).slice(0, 300)].map((c) => (c < ' ' || c === '\x7f' ? ' ' : c)).join('');
}

function quote(q: string): string {
  return JSON.stringify(q.length > 120 ? `${q.slice(0, 120)}…` : q);
}

function iso(time: number): string {
  const d = new Date(time * 1000);
  return Number.isNaN(d.getTime()) ? String(time) : d.toISOString();
}
