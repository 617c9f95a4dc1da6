// Part of npm run bench:webhook — the signed-release path. (1) Two aviary-webhook processes, the
// same pinning + canary policy, one also requiring signatures by the example release key; the same
// signed churn-canary review goes to each one request at a time, and their own per-request
// latencies (log lines) are compared: warm-cache signature checks against the policy-only path.
// (2) In this process, a keyless (Fulcio + Rekor + TSA) model-signing bundle from the public
// vectors: the first verification after start-up (cold) and uncached repeats (cache disabled).
// Prints figures; asserts nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { loopbackRequest } from '../../webhook/tools/loopback-https.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const N = Number(process.env['BENCH_SIGNED_REQUESTS'] ?? 2000);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

function startWebhook(
  policies: string,
  ca: string,
  log: string,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [
      path.join(repo, 'webhook/bin/aviary-webhook.js'),
      '--policies',
      policies,
      '--self-signed',
      '--print-ca',
      ca,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ],
    {
      stdio: ['ignore', openSync(log, 'w'), 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const poll = () => {
      const m = /listening at https:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(log, 'utf8'));
      if (m) resolve({ child, port: Number(m[1]) });
      else if (Date.now() > deadline) {
        child.kill('SIGTERM');
        reject(new Error(`webhook did not start: ${readFileSync(log, 'utf8')}`));
      } else setTimeout(poll, 50);
    };
    poll();
  });
}

async function post(port: number, ca: string, body: string): Promise<string> {
  return (await loopbackRequest(port, ca, '/validate', body)).text;
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'aviary-bench-signed-'));
  const children: ChildProcess[] = [];
  try {
    const r = spawnSync(
      process.execPath,
      [
        path.join(repo, 'plugin/bin/aviary.js'),
        'render',
        path.join(repo, 'deploy/examples/gitops/churn-canary'),
      ],
      { encoding: 'utf8' },
    );
    const churn = parseAllDocuments(r.stdout)[0]!.toJS() as Record<string, any>;
    const review = (uid: string) =>
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid,
          kind: { group: 'serving.kserve.io', version: 'v1beta1', kind: 'InferenceService' },
          resource: {
            group: 'serving.kserve.io',
            version: 'v1beta1',
            resource: 'inferenceservices',
          },
          namespace: 'ml-prod',
          name: 'churn',
          operation: 'UPDATE',
          object: churn,
          oldObject: churn,
          userInfo: { username: 'bench' },
        },
      });
    const only = path.join(work, 'policy-only');
    const signed = path.join(work, 'signed');
    mkdirSync(only);
    mkdirSync(signed);
    copyFileSync(
      path.join(repo, 'policies/catalog/production.yaml'),
      path.join(only, 'production.yaml'),
    );
    copyFileSync(
      path.join(repo, 'policies/catalog/production.yaml'),
      path.join(signed, 'production.yaml'),
    );
    copyFileSync(
      path.join(repo, 'policies/catalog/production-signatures.yaml'),
      path.join(signed, 'production-signatures.yaml'),
    );
    const results: Record<string, number[]> = {};
    for (const [name, dir] of [
      ['policy-only', only],
      ['signed (warm cache)', signed],
    ] as const) {
      const log = path.join(work, `${name}.log`);
      const ca = path.join(work, `${name}.pem`);
      const w = await startWebhook(dir, ca, log);
      children.push(w.child);
      const caPem = readFileSync(ca, 'utf8');
      const first = JSON.parse(await post(w.port, caPem, review('probe'))) as {
        response: { allowed: boolean };
      };
      if (!first.response.allowed) throw new Error(`${name}: the signed release was not admitted`);
      for (let i = 0; i < 200; i++) await post(w.port, caPem, review(`warm-${i}`));
      for (let i = 0; i < N; i++) await post(w.port, caPem, review(`run-${i}`));
      results[name] = readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"uid":"run-'))
        .map((l) => (JSON.parse(l) as { latencyMs: number }).latencyMs);
      w.child.kill('SIGTERM');
    }
    console.log(
      `signed churn-canary UPDATE (two signed artifacts), ${N} requests one at a time, server-side latency from the webhook's log lines:`,
    );
    for (const [name, xs] of Object.entries(results))
      console.log(
        `  ${name.padEnd(20)} p50 ${pct(xs, 50).toFixed(3)} ms  p99 ${pct(xs, 99).toFixed(3)} ms  (n=${xs.length})`,
      );
    const d = pct(results['signed (warm cache)']!, 99) - pct(results['policy-only']!, 99);
    console.log(`  p99 difference ${d.toFixed(3)} ms (target: within 1 ms)`);

    const { createSignatureVerifier, loadPublicGoodTrustedRoot } =
      await import('@aviary/policies/signature');
    const vector = path.join(
      repo,
      '../shared/vectors/model-transparency/v1.1.0-sigstore/model.sig',
    );
    const bundle = JSON.parse(readFileSync(vector, 'utf8')) as {
      dsseEnvelope: { payload: string };
    };
    const statement = JSON.parse(
      Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'),
    ) as { subject: { digest: { sha256: string } }[] };
    const digest = `sha256:${statement.subject[0]!.digest.sha256}`;
    const authority = {
      name: 'ibm',
      keyless: { issuer: 'https://sigstore.verify.ibm.com/oauth2', subject: 'stefanb@us.ibm.com' },
    };
    let t0 = performance.now();
    const verifier = createSignatureVerifier({
      authorities: [authority],
      trustedRoots: { 'public-good': loadPublicGoodTrustedRoot() },
      cacheSize: 0,
    });
    const build = performance.now() - t0;
    t0 = performance.now();
    const cold = verifier.verify(bundle, digest);
    const coldMs = performance.now() - t0;
    if (!cold.ok) throw new Error(`keyless vector did not verify: ${cold.code}`);
    const repeats: number[] = [];
    for (let i = 0; i < 200; i++) {
      t0 = performance.now();
      verifier.verify(bundle, digest);
      repeats.push(performance.now() - t0);
    }
    console.log(
      `keyless model-signing bundle (public vector v1.1.0-sigstore), in process, cache disabled:`,
    );
    console.log(
      `  verifier build ${build.toFixed(1)} ms; first verification in this process (code not yet compiled) ${coldMs.toFixed(1)} ms`,
    );
    console.log(
      `  cold-cache verifications (result cache off, n=${repeats.length}) p50 ${pct(repeats, 50).toFixed(1)} ms p99 ${pct(repeats, 99).toFixed(1)} ms (issue 13: a first admission well under 100 ms)`,
    );
  } finally {
    for (const c of children) c.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
