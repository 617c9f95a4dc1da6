import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { UsageError } from '@aviary/policies';
import { parseTrustedRootFlags } from '@aviary/policies/signature';
import { buildApp, type AppLogger, type WebhookApp } from './app.js';
import type { ClusterOptions, ClusterPolicySource } from './cluster/source.js';
import { FilePolicySource } from './file-source.js';
import { createMetrics, type WebhookMetrics } from './metrics.js';
import type { PolicyFiles, PolicySource } from './policy-source.js';
import { WebhookState } from './webhook-deps.js';
import { checkPair, watchTls, type CheckedPair } from './tls/pair.js';
import { DEFAULT_SELF_SIGNED_HOSTS, generateSelfSigned } from './tls/self-signed.js';
import { fingerprintFiles, type ContentWatcher } from './watch.js';

export const DEFAULT_PORT = 8443;

export type TlsSource =
  { cert: string; key: string } | { selfSigned: true; hosts?: readonly string[]; printCa?: string };

export interface ServerOptions extends PolicyFiles {
  /** Policy file or folder. Required unless `cluster` is set; with it, merged with the CRs. */
  policies?: string;
  /** Policies (ModelReleasePolicy CRs) and namespace labels from the API server. */
  cluster?: ClusterOptions;
  tls: TlsSource;
  port?: number;
  host?: string;
  /** How often files are re-checked besides fs.watch events. Default 2000 ms. */
  reloadIntervalMs?: number;
  /** After SIGTERM: keep serving (not ready) this long so endpoints update first. Default 0. */
  shutdownDelayMs?: number;
  /** After that: how long in-flight requests may take before connections are cut. Default 20 s. */
  shutdownTimeoutMs?: number;
  logger?: AppLogger;
}

export interface RunningServer {
  app: WebhookApp;
  state: WebhookState;
  metrics: WebhookMetrics;
  port: number;
  url: string;
  /** The serving certificate when self-signed (what a client must trust). */
  selfSignedCert?: string;
  /** The cluster policy source, in cluster mode. */
  cluster?: ClusterPolicySource;
  /** Graceful stop: not ready, optional delay, stop accepting, finish in-flight, close. */
  close(): Promise<void>;
}

/**
 * Starts the HTTPS webhook. TLS problems at start-up are fatal (nothing could be served);
 * policy problems are not: the server listens, stays not-ready, and loads the policies as soon
 * as the files are fixed.
 */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const metrics = createMetrics();
  if (opts.policies === undefined && opts.cluster === undefined)
    throw new Error('no policy source: give policies, cluster, or both');
  const intervalMs = opts.reloadIntervalMs ?? 2000;
  const files: PolicyFiles = {
    ...(opts.policies !== undefined ? { policies: opts.policies } : {}),
    ...(opts.trustedRoots !== undefined ? { trustedRoots: opts.trustedRoots } : {}),
  };
  // Loaded only in cluster mode: @kubernetes/client-node costs ~50 MB of memory and start-up time.
  const cluster =
    opts.cluster === undefined
      ? undefined
      : new (await import('./cluster/source.js')).ClusterPolicySource({
          ...opts.cluster,
          ...(files.policies !== undefined ? { policiesPath: files.policies } : {}),
          ...(files.trustedRoots !== undefined ? { trustedRoots: files.trustedRoots } : {}),
          metrics,
          intervalMs,
        });
  const source: PolicySource =
    cluster ??
    new FilePolicySource({ files: { ...files, policies: opts.policies! }, metrics, intervalMs });
  const state = new WebhookState(
    metrics,
    cluster ? (ns: string) => cluster.namespaceLabels(ns) : undefined,
  );

  let pair: CheckedPair;
  let selfSignedCert: string | undefined;
  if ('selfSigned' in opts.tls) {
    const generated = await generateSelfSigned({
      hosts: opts.tls.hosts ?? [...DEFAULT_SELF_SIGNED_HOSTS, hostname()],
    });
    pair = checkPair(generated.cert, generated.key);
    selfSignedCert = generated.cert;
    if (opts.tls.printCa !== undefined) await writeFile(opts.tls.printCa, generated.cert);
  } else {
    const [cert, key] = await Promise.all([
      readFile(opts.tls.cert, 'utf8'),
      readFile(opts.tls.key, 'utf8'),
    ]);
    pair = checkPair(cert, key);
  }
  metrics.tlsNotAfter.set(pair.notAfter.getTime() / 1000);

  const app = buildApp(state, {
    https: { cert: pair.cert, key: pair.key },
    ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
  });
  const watchers: ContentWatcher[] = [];
  try {
    // The first load, before the port opens. In cluster mode files (if any) load first; the
    // informers then list in the background and the webhook turns ready once both lists are in.
    watchers.push({ check: () => Promise.resolve(), close: () => source.close() });
    await source.start(state, app.log);

    if (!('selfSigned' in opts.tls)) {
      watchers.push(
        watchTls({
          certFile: opts.tls.cert,
          keyFile: opts.tls.key,
          server: app.server,
          metrics,
          log: app.log,
          intervalMs,
          initial: await fingerprintFiles([opts.tls.cert, opts.tls.key]),
        }),
      );
    }
    app.log.info(
      {
        fingerprint: pair.fingerprint,
        notAfter: pair.notAfter.toISOString(),
        selfSigned: !!selfSignedCert,
      },
      'serving certificate',
    );
    await app.listen({ port: opts.port ?? DEFAULT_PORT, host: opts.host ?? '0.0.0.0' });
  } catch (err) {
    for (const w of watchers) w.close();
    await app.close();
    throw err;
  }
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      state.closing = true;
      app.log.info({ delayMs: opts.shutdownDelayMs ?? 0 }, 'shutting down');
      if (opts.shutdownDelayMs) await new Promise((r) => setTimeout(r, opts.shutdownDelayMs));
      for (const w of watchers) w.close();
      const force = setTimeout(() => {
        app.log.warn('in-flight requests did not finish in time; closing connections');
        app.server.closeAllConnections();
      }, opts.shutdownTimeoutMs ?? 20_000);
      force.unref();
      await app.close(); // stops accepting, closes idle keep-alive connections, waits for in-flight
      clearTimeout(force);
      app.log.info('stopped');
    })());

  return {
    app,
    state,
    metrics,
    port: address.port,
    url: `https://${host}:${address.port}`,
    ...(selfSignedCert !== undefined ? { selfSignedCert } : {}),
    ...(cluster !== undefined ? { cluster } : {}),
    close,
  };
}

export const USAGE = `usage: aviary-webhook [--policies PATH] [--policies-from-cluster [--kubeconfig FILE]]
                      (--cert FILE --key FILE | --self-signed) [options]

  At least one policy source: files, custom resources, or both.

  --policies PATH          ModelReleasePolicy file or folder of *.yaml (reloaded on change)
  --policies-from-cluster  watch ModelReleasePolicy custom resources and Namespace labels through
                           the API server (combinable with --policies: merged, file wins a name)
  --kubeconfig FILE        with --policies-from-cluster: kubeconfig to use (default: in-cluster)
  --cert FILE --key FILE   serving certificate and key, PEM (reloaded on change)
  --self-signed            generate a throw-away self-signed certificate instead
  --san NAME               with --self-signed: a DNS name or IP for the certificate (repeatable;
                           default localhost, 127.0.0.1, ::1 and the host name)
  --print-ca FILE          with --self-signed: write the certificate (the CA to trust) to FILE
  --trusted-root NAME=FILE a Sigstore trusted_root.json for keyless authorities naming NAME
                           (repeatable); public-good=FILE replaces the built-in public-good root
  --port N                 default ${DEFAULT_PORT}
  --host ADDR              default 0.0.0.0
  --reload-interval SEC    poll interval for policy and certificate files (default 2)
  --shutdown-delay SEC     after SIGTERM keep serving, not ready, this long (default 0)
  --log-level LEVEL        fatal, error, warn, info, debug (default info)

Endpoints: POST /validate (AdmissionReview v1), GET /healthz, /readyz, /metrics.
`;

export interface ServerIO {
  argv: readonly string[];
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT in bin/). */
  stopSignal: Promise<string>;
}

/**
 * The `aviary-webhook` command: parses flags, serves until `stopSignal`, shuts down gracefully.
 * Returns the exit code: 0 after a clean stop, 1 when it could not start, 2 on bad usage.
 */
export async function run(io: ServerIO): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(io.argv);
  } catch (err) {
    if (err instanceof HelpRequested) {
      io.stdout.write(USAGE);
      return 0;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`aviary-webhook: ${message}\n${USAGE}`);
    return 2;
  }
  let server: RunningServer;
  try {
    // JSON lines on stdout, one per review, written in 4 KiB batches and at least every second: a
    // write per review cost about as much CPU as judging the review. What is still buffered is
    // written at exit, also after a crash; a SIGKILL (OOM kill) loses at most a second of lines.
    const stdout = pino.destination({ fd: 1, sync: false, minLength: 4096, periodicFlush: 1000 });
    server = await startServer({ ...options, logger: { ...options.logger, stream: stdout } });
    stdout.flush(); // the start-up lines now, not with the first batch of reviews
  } catch (err) {
    io.stderr.write(`aviary-webhook: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  const signal = await io.stopSignal;
  server.app.log.info({ signal }, 'signal received');
  await server.close();
  return 0;
}

class HelpRequested extends Error {}

export function parseOptions(argv: readonly string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        policies: { type: 'string' },
        'policies-from-cluster': { type: 'boolean', default: false },
        kubeconfig: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        'self-signed': { type: 'boolean', default: false },
        san: { type: 'string', multiple: true, default: [] },
        'print-ca': { type: 'string' },
        'trusted-root': { type: 'string', multiple: true, default: [] },
        port: { type: 'string' },
        host: { type: 'string', default: '0.0.0.0' },
        'reload-interval': { type: 'string', default: '2' },
        'shutdown-delay': { type: 'string', default: '0' },
        'log-level': { type: 'string', default: 'info' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError('USAGE_INVALID', (err as Error).message);
  }
  if (values.help) throw new HelpRequested();
  const fromCluster = values['policies-from-cluster'];
  if (values.policies === '')
    throw new UsageError('USAGE_INVALID', '--policies PATH must not be empty');
  if (values.policies === undefined && !fromCluster)
    throw new UsageError('USAGE_INVALID', '--policies-from-cluster or --policies PATH is required');
  if (values.kubeconfig !== undefined && !fromCluster)
    throw new UsageError('USAGE_INVALID', '--kubeconfig only applies with --policies-from-cluster');
  const selfSigned = values['self-signed'];
  if (selfSigned && (values.cert !== undefined || values.key !== undefined))
    throw new UsageError('USAGE_INVALID', '--self-signed and --cert/--key are mutually exclusive');
  if (!selfSigned && (values.cert === undefined || values.key === undefined))
    throw new UsageError(
      'USAGE_INVALID',
      'give --cert FILE and --key FILE, or --self-signed (HTTPS only)',
    );
  if (!selfSigned && (values.san.length > 0 || values['print-ca'] !== undefined))
    throw new UsageError('USAGE_INVALID', '--san and --print-ca only apply with --self-signed');
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(
      'USAGE_INVALID',
      `--port must be an integer 0..65535, not ${JSON.stringify(values.port)}`,
    );
  const seconds = (flag: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min)
      throw new UsageError('USAGE_INVALID', `--${flag} must be a number of seconds >= ${min}`);
    return Math.round(n * 1000);
  };
  const trustedRoots = parseTrustedRootFlags(values['trusted-root']);
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(values['log-level']))
    throw new UsageError('USAGE_INVALID', `--log-level must be one of ${levels.join(', ')}`);
  return {
    ...(values.policies !== undefined ? { policies: values.policies } : {}),
    ...(fromCluster
      ? {
          cluster: values.kubeconfig !== undefined ? { kubeconfigFile: values.kubeconfig } : {},
        }
      : {}),
    trustedRoots,
    tls: selfSigned
      ? {
          selfSigned: true,
          ...(values.san.length > 0 ? { hosts: values.san } : {}),
          ...(values['print-ca'] !== undefined ? { printCa: values['print-ca'] } : {}),
        }
      : { cert: values.cert!, key: values.key! },
    port,
    host: values.host,
    reloadIntervalMs: seconds('reload-interval', values['reload-interval'], 0.05),
    shutdownDelayMs: seconds('shutdown-delay', values['shutdown-delay'], 0),
    logger: { level: values['log-level'] },
  } satisfies ServerOptions;
}
