import { renameSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, type Agent } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Test } from 'tap';
import {
  buildApp,
  createMetrics,
  generateSelfSigned,
  loadPolicySnapshot,
  WebhookState,
  type CertificatePair,
  type WebhookApp,
} from '@aviary/webhook';

/** Shared helpers for the webhook tests: AdmissionReview bodies and an HTTPS client. */

export const ISVC_KIND = {
  group: 'serving.kserve.io',
  version: 'v1beta1',
  kind: 'InferenceService',
};

export interface ReviewOptions {
  uid?: string;
  operation?: string;
  namespace?: string;
  object?: unknown;
  oldObject?: unknown;
  kind?: { group: string; version: string; kind: string };
  dryRun?: boolean;
  subResource?: string;
}

export function reviewBody(o: ReviewOptions): Record<string, unknown> {
  const operation = o.operation ?? (o.oldObject !== undefined ? 'UPDATE' : 'CREATE');
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: o.uid ?? 'uid-1',
      kind: o.kind ?? ISVC_KIND,
      resource: { group: 'serving.kserve.io', version: 'v1beta1', resource: 'inferenceservices' },
      ...(o.subResource !== undefined ? { subResource: o.subResource } : {}),
      operation,
      namespace: o.namespace ?? 'ml-prod',
      name: 'iris',
      userInfo: { username: 'system:serviceaccount:argocd:argocd-application-controller' },
      object: o.object ?? null,
      oldObject: o.oldObject ?? null,
      dryRun: o.dryRun ?? false,
      options: null,
    },
  };
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
  /** SHA-256 fingerprint of the certificate the server presented on this connection. */
  peerFingerprint: string;
}

export interface SendOptions {
  method?: string;
  path?: string;
  /** A value to JSON-encode, or raw text/bytes sent as is. */
  body?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  ca: string | string[];
  agent?: Agent | false;
}

/** One HTTPS request to a server on 127.0.0.1; verifies the certificate against `ca`. */
export function send(port: number, o: SendOptions): Promise<HttpResult> {
  const payload =
    o.raw !== undefined ? o.raw : o.body !== undefined ? JSON.stringify(o.body) : undefined;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        method: o.method ?? (payload === undefined ? 'GET' : 'POST'),
        path: o.path ?? '/validate',
        ca: o.ca,
        agent: o.agent ?? false,
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...o.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        const peer = (res.socket as TLSSocket).getPeerCertificate?.()?.fingerprint256 ?? '';
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json,
            peerFingerprint: peer,
          });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.end(payload);
    else req.end();
  });
}

let cached: Promise<CertificatePair> | undefined;
/** One self-signed pair for 127.0.0.1/localhost, shared by a test file. */
export function testCert(): Promise<CertificatePair> {
  cached ??= generateSelfSigned({ hosts: ['localhost', '127.0.0.1'] });
  return cached;
}

/**
 * The app over HTTPS on 127.0.0.1 with the policies in `files` (a test folder) active and
 * `labels` as the source of namespace labels; closed when the test ends.
 */
export async function startTestApp(
  t: Test,
  files: Record<string, string>,
  labels: (ns: string) => Readonly<Record<string, string>> | undefined,
): Promise<{ port: number; state: WebhookState; logs: Record<string, any>[]; app: WebhookApp }> {
  const dir = t.testdir(files);
  const state = new WebhookState(createMetrics(), labels);
  const loaded = await loadPolicySnapshot({ policies: dir });
  if (!loaded.snapshot) throw new Error(JSON.stringify(loaded.diagnostics));
  state.snapshot = loaded.snapshot;
  const sink = logSink();
  const app = buildApp(state, {
    https: await testCert(),
    logger: { level: 'info', stream: sink.stream },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  return { port: (app.server.address() as { port: number }).port, state, logs: sink.lines, app };
}

/** Collects the JSON log lines the webhook writes. */
export function logSink(): { lines: Record<string, any>[]; stream: { write(s: string): void } } {
  const lines: Record<string, any>[] = [];
  return {
    lines,
    stream: {
      write(s: string) {
        for (const l of s.split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l));
      },
    },
  };
}

/**
 * A counter's or gauge's value for exactly these labels, 0 when that series does not exist
 * (prom-client reads metrics asynchronously).
 */
export async function valueOf(
  metric: { get(): Promise<{ values: { labels: object; value: number }[] }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await metric.get();
  const same = (l: object) =>
    JSON.stringify(Object.entries(l).sort()) === JSON.stringify(Object.entries(labels).sort());
  return values.find((v) => same(v.labels))?.value ?? 0;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns true (or fails the wait after `ms`). */
export async function waitFor(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`condition not met within ${ms} ms`);
}

/** The policies every app test uses: one per mode, scoped by namespace. */
export const POLICIES = {
  'enforce.yaml': `apiVersion: aviary.dev/v1alpha1
kind: ModelReleasePolicy
metadata: {name: pin-prod}
spec:
  mode: enforce
  match: {namespaces: [ml-prod]}
  pinning:
    allowedSchemes: [s3, oci]
    allowedPrefixes: ["s3://models/", "oci://registry.example.com/"]
  canary: {maxTrafficPercent: 25, steps: [0, 5, 10, 25], maxIncrease: 15, requireCanary: true}
`,
  'warn.yaml': `apiVersion: aviary.dev/v1alpha1
kind: ModelReleasePolicy
metadata: {name: pin-staging}
spec:
  mode: warn
  match: {namespaces: [ml-staging]}
  pinning: {allowedSchemes: [s3, oci], allowedPrefixes: ["s3://models/"]}
  canary: {maxTrafficPercent: 25}
`,
  'audit.yaml': `apiVersion: aviary.dev/v1alpha1
kind: ModelReleasePolicy
metadata: {name: pin-audit}
spec:
  mode: audit
  match: {namespaces: [ml-audit]}
  pinning: {allowedSchemes: [s3, oci], allowedPrefixes: ["s3://models/"]}
  canary: {maxTrafficPercent: 25}
`,
};

/** Every `[CODE, policy NAME]` a denial message or finding list names, with its path. */
export function findingsIn(lines: readonly string[]): string[] {
  return lines
    .map((l) => /^(\S+): .* \[([A-Z_]+), policy ([a-z0-9.-]+)\]$/.exec(l))
    .map((m) => (m ? `${m[2]}@${m[1]} (${m[3]})` : 'UNPARSED'))
    .sort();
}

/**
 * Replaces a file the way a Secret or ConfigMap update does (write beside it, then rename), so a
 * watcher never reads it half-written: with writeFileSync, a poll between its truncate and its
 * write on a loaded machine reads an empty file and counts one more failed reload.
 */
export function replaceFile(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}
