import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../pin/mlflow.js';

/**
 * A real Prometheus (Debian's, see peer/build.sh) for the analyzer's tests: deterministic history
 * is written as OpenMetrics text, turned into TSDB blocks by `promtool tsdb create-blocks-from
 * openmetrics`, and served by `prometheus` on 127.0.0.1. Everything lives in a temp directory
 * outside the repository, removed by `stop()`.
 */

/** One series: `points` are [unix seconds, value]; NaN and ±Infinity are written as such. */
export interface Series {
  name: string;
  labels?: Readonly<Record<string, string>>;
  points: readonly (readonly [number, number])[];
}

export interface PrometheusServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  stop(): Promise<void>;
}

const run = promisify(execFile);
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * OpenMetrics text (ending `# EOF`) for promtool. Series of one name are written together and
 * each series' points in time order: promtool drops a point older than the one before it,
 * silently. A gap only reads as "no data" in an instant query once it exceeds Prometheus's 5 m
 * look-back.
 */
export function openMetrics(series: readonly Series[]): string {
  const byName = new Map<string, Series[]>();
  for (const s of series) {
    if (!NAME.test(s.name)) throw new Error(`not a metric name: ${s.name}`);
    byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  }
  const lines: string[] = [];
  for (const group of byName.values())
    for (const s of group) {
      const labels = Object.entries(s.labels ?? {}).map(([k, v]) => {
        if (!LABEL.test(k) || k.startsWith('__')) throw new Error(`not a label name: ${k}`);
        return `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
      });
      const head = labels.length > 0 ? `${s.name}{${labels.join(',')}}` : s.name;
      for (const [t, v] of [...s.points].sort((a, b) => a[0] - b[0]))
        lines.push(`${head} ${formatValue(v)} ${t}`);
    }
  return `${lines.join('\n')}${lines.length > 0 ? '\n' : ''}# EOF\n`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * Starts `prometheus` serving the blocks built from `openmetrics`, on a free loopback port, and
 * resolves once `/-/ready` answers. `config` replaces the minimal prometheus.yml (no scrape jobs),
 * e.g. with {@link scrapeConfig}. Retention is 100 years: Prometheus measures retention from the
 * newest block, so fixtures at fixed past times stay, and even a live scrape next to them cannot
 * expire them.
 */
export async function startPrometheus(
  openmetrics: string,
  options: { config?: string } = {},
): Promise<PrometheusServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'aviary-prometheus-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const data = path.join(dir, 'data');
    const input = path.join(dir, 'history.om');
    const config = path.join(dir, 'prometheus.yml');
    await writeFile(input, openmetrics);
    await writeFile(config, options.config ?? 'global:\n  scrape_interval: 15s\n');
    await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, data], {
      timeout: 120_000,
      maxBuffer: 1 << 24,
    });
    // A free port can be taken between the probe and the bind: try again with another.
    for (let attempt = 1; ; attempt++) {
      try {
        return await serve(data, config, await freePort(), cleanup);
      } catch (err) {
        if (attempt >= 3 || !String(err).includes('address already in use')) throw err;
      }
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function serve(
  data: string,
  config: string,
  port: number,
  cleanup: () => Promise<void>,
): Promise<PrometheusServer> {
  const child = spawn(
    'prometheus',
    [
      `--storage.tsdb.path=${data}`,
      `--config.file=${config}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=100y',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A test that dies before stop() must not leave its Prometheus behind.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  const stop = async () => {
    process.removeListener('exit', orphan);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    await cleanup();
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return { url, stop };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  process.removeListener('exit', orphan);
  child.kill('SIGKILL');
  await exited;
  throw new Error(`prometheus did not become ready:\n${log}`);
}

/** One scrape target: `host:port`, and labels as service discovery would attach (`__meta_…`). */
export interface ScrapeTarget {
  target: string;
  labels?: Readonly<Record<string, string>>;
}

/**
 * A prometheus.yml (JSON is YAML) with one job, `exporter`, scraping `targets` every `intervalS`
 * seconds through `relabel` (Prometheus `relabel_configs` entries).
 */
export function scrapeConfig(
  targets: readonly ScrapeTarget[],
  options: { intervalS?: number; relabel?: readonly unknown[] } = {},
): string {
  const interval = `${options.intervalS ?? 1}s`;
  return JSON.stringify({
    global: { scrape_interval: interval },
    scrape_configs: [
      {
        job_name: 'exporter',
        scrape_interval: interval,
        scrape_timeout: interval,
        static_configs: targets.map((t) => ({ targets: [t.target], labels: t.labels ?? {} })),
        relabel_configs: options.relabel ?? [],
      },
    ],
  });
}

/**
 * A loopback HTTP exporter: `/metrics` answers `exposition()` in Prometheus's text format, read
 * afresh on each scrape. `target` is `127.0.0.1:<port>` for {@link scrapeConfig}.
 */
export async function startExporter(
  exposition: () => string,
): Promise<{ target: string; scrapes: () => number; stop(): Promise<void> }> {
  let scrapes = 0;
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    scrapes++;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    target: `127.0.0.1:${port}`,
    scrapes: () => scrapes,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
