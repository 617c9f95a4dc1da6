import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { REPO } from '../helpers/paths.js';

const run = promisify(execFile);
const PEER = path.join(REPO, 'test/e2e/peer');

export interface Cluster {
  dir: string;
  /** Admin client identity (client certificate in system:masters) for raw requests. */
  admin: { cert: string; key: string };
  url: string;
  kubeconfig: k8s.KubeConfig;
  caPem: string;
  /** Serving cert and key for a loopback webhook, signed by the cluster's CA. */
  webhookCert: string;
  webhookKey: string;
  objects: k8s.KubernetesObjectApi;
  stop(): Promise<void>;
}

/**
 * Starts a real etcd + kube-apiserver on loopback with a throw-away CA (test/e2e/peer/start.sh;
 * binaries built once per machine and cached outside the repository) and tears it down after.
 */
export async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aviary-e2e-'));
  const env = { ...process.env, ...(await peerBinaries()) };
  try {
    await run('bash', [path.join(PEER, 'start.sh'), dir], { env, maxBuffer: 1 << 24 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const vars = Object.fromEntries(
    readFileSync(path.join(dir, 'env'), 'utf8')
      .split('\n')
      .map((l) => /^(?:export )?([A-Z_]+)=["']?(.*?)["']?$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
  const kubeconfig = new k8s.KubeConfig();
  kubeconfig.loadFromFile(path.join(dir, 'kubeconfig'));
  return {
    dir,
    url: vars['APISERVER_URL']!,
    kubeconfig,
    caPem: readFileSync(vars['CA_CERT']!, 'utf8'),
    admin: {
      cert: readFileSync(vars['ADMIN_CERT']!, 'utf8'),
      key: readFileSync(vars['ADMIN_KEY']!, 'utf8'),
    },
    webhookCert: readFileSync(vars['WEBHOOK_CERT']!, 'utf8'),
    webhookKey: readFileSync(vars['WEBHOOK_KEY']!, 'utf8'),
    objects: k8s.KubernetesObjectApi.makeApiClient(kubeconfig),
    async stop() {
      await run('bash', [path.join(PEER, 'stop.sh'), dir, '--rm'], { env }).catch(() => undefined);
    },
  };
}

let cached: Record<string, string> | undefined;
/** KUBE_APISERVER and ETCD paths from the (cached) peer build. */
export async function peerBinaries(): Promise<Record<string, string>> {
  if (cached) return cached;
  const { stdout } = await run('bash', [path.join(PEER, 'build.sh')], { maxBuffer: 1 << 24 });
  cached = Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((l) => /^([A-Z_]+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
  return cached;
}

/**
 * A raw HTTPS request to the apiserver as the admin. Objects are sent exactly as written: the typed
 * client would re-serialize known kinds through its models and silently drop fields it does not
 * know (including `x-kubernetes-*` schema keys and any typo), which would make a dry-run prove
 * nothing.
 */
export function request(
  c: Cluster,
  method: string,
  urlPath: string,
  body?: unknown,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const url = new URL(urlPath, c.url);
    const req = https.request(
      url,
      {
        method,
        ca: c.caPem,
        cert: c.admin.cert,
        key: c.admin.key,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': contentType }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON; keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.end(typeof body === 'string' ? body : JSON.stringify(body));
    else req.end();
  });
}

const resources = new Map<string, { plural: string; namespaced: boolean }>();
/** The REST path of an object, from discovery (cached per group/version). */
export async function objectPath(c: Cluster, obj: KubernetesObject): Promise<string> {
  const gv = obj.apiVersion!;
  const key = `${gv}/${obj.kind}`;
  if (!resources.has(key)) {
    const base = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
    const r = await request(c, 'GET', base);
    if (r.status !== 200) throw new Error(`discovery of ${gv} failed: ${r.status}`);
    for (const res of r.body.resources as { name: string; kind: string; namespaced: boolean }[]) {
      if (!res.name.includes('/'))
        resources.set(`${gv}/${res.kind}`, { plural: res.name, namespaced: res.namespaced });
    }
  }
  const info = resources.get(key);
  if (!info) throw new Error(`${key} is not served`);
  const base = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
  const ns = info.namespaced ? `/namespaces/${obj.metadata?.namespace ?? 'default'}` : '';
  return `${base}${ns}/${info.plural}/${obj.metadata!.name}`;
}

/** Server-side apply with field validation Strict; `dryRun` sends dryRun=All so nothing is stored. */
export async function apply(c: Cluster, obj: KubernetesObject, dryRun = false): Promise<any> {
  const p = await objectPath(c, obj);
  const q = `?fieldManager=aviary-e2e&force=true&fieldValidation=Strict${dryRun ? '&dryRun=All' : ''}`;
  const r = await request(c, 'PATCH', p + q, obj, 'application/apply-patch+yaml');
  if (r.status >= 300) {
    throw Object.assign(new Error(`apply ${obj.kind}/${obj.metadata?.name}: HTTP ${r.status}`), {
      body: r.body,
      status: r.status,
    });
  }
  return r.body;
}

/** Waits until a CRD reports Established. */
export async function waitEstablished(c: Cluster, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await request(
      c,
      'GET',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
    );
    const conditions = (r.body?.status?.conditions ?? []) as { type: string; status: string }[];
    if (conditions.some((x) => x.type === 'Established' && x.status === 'True')) return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
