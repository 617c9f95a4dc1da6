import { createServer, type Server } from 'node:http';
import { stat } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { analyzerMetrics } from './metrics.js';
import { syncClone } from './clone.js';
import type { PassResult } from './pass.js';
import { loadEngine, passOnce, printResult, type AnalyzeFlags } from '../commands/analyze.js';
import type { CommandIO } from '../io.js';

/**
 * `aviary analyze --watch`: keeps a clone of the branch, brings it to the remote's state before
 * every pass (a commit that could not be pushed is dropped and decided again), runs a pass that
 * pushes, and serves /healthz and /metrics. Git holds all state, so a restart only re-clones.
 */
export async function watch(io: CommandIO, flags: AnalyzeFlags): Promise<number> {
  const w = flags.watch!;
  const metrics = analyzerMetrics();
  let lastPass = Date.now();
  const server = await listen(w.listen, async (url) => {
    if (url === '/healthz') {
      // Alive while passes keep finishing; Prometheus or Git being down is not the pod's fault
      // and a restart would not fix it, so a failing pass still counts as a pass.
      const late = Date.now() - lastPass > 3 * w.every * 1000;
      return { status: late ? 503 : 200, type: 'text/plain', body: late ? 'stalled\n' : 'ok\n' };
    }
    if (url === '/metrics')
      return {
        status: 200,
        type: metrics.registry.contentType,
        body: await metrics.registry.metrics(),
      };
    return { status: 404, type: 'text/plain', body: 'not found\n' };
  });
  const address = server.address();
  io.stderr.write(
    `aviary: analyzer serving /healthz and /metrics on ${typeof address === 'object' && address !== null ? `${address.address}:${address.port}` : w.listen}\n`,
  );

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    while (!stop.signal.aborted) {
      const result = await onePass(io, flags);
      lastPass = Date.now();
      metrics.record(result.reports, result.analyses, result.exit);
      printResult(io, { ...flags, json: false }, result);
      await sleep(w.every * 1000, stop.signal);
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return 0;
}

async function onePass(io: CommandIO, flags: AnalyzeFlags): Promise<PassResult> {
  const w = flags.watch!;
  try {
    await syncClone(w.repo, w.branch, w.workdir, io.env);
    const dir = path.join(w.workdir, flags.dir);
    await stat(dir);
    // The policies are read from the clone on every pass: they change in Git like the releases.
    const { engine, diagnostics } = await loadEngine(io, flags, w.workdir);
    if (engine === undefined) return { reports: [], analyses: new Map(), diagnostics, exit: 2 };
    return await passOnce(io, flags, dir, engine, true);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown }).code;
    io.stderr.write(`aviary: ${typeof code === 'string' ? `${code} ` : ''}${message}\n`);
    const exit = (err as { exit?: unknown }).exit;
    return {
      reports: [],
      analyses: new Map(),
      diagnostics: [],
      exit: typeof exit === 'number' ? exit : 4,
    };
  }
}

type Handler = (url: string) => Promise<{ status: number; type: string; body: string }>;

function listen(address: string, handle: Handler): Promise<Server> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at) || '0.0.0.0';
  const port = Number(address.slice(at + 1));
  const server = createServer((req, res) => {
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    handle(new URL(req.url ?? '/', 'http://x').pathname).then(
      ({ status, type, body }) => res.writeHead(status, { 'content-type': type }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** Waits `ms`, or less when the signal fires (a stop request ends the wait, not the pass). */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => undefined);
}
