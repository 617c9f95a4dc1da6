import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import t, { type Test } from 'tap';
import { UsageError } from '@aviary/policies';
import { DEFAULT_PORT, generateSelfSigned, parseOptions } from '@aviary/webhook';
import { nodeEntrypoint } from '../helpers/image.js';
import { isvc } from '../helpers/isvc.js';
import { REPO } from '../helpers/paths.js';
import { reviewBody, send, testCert, waitFor } from './support.js';

/** The webhook image's entrypoint: the built binary, run with the image's node flags. */
const IMAGE = nodeEntrypoint('webhook/Dockerfile');
const BIN = path.join(REPO, path.relative('/opt/aviary', IMAGE.script));
const POLICY =
  'apiVersion: aviary.dev/v1alpha1\nkind: ModelReleasePolicy\nmetadata: {name: p}\nspec:\n  pinning: {allowedSchemes: [s3]}\n';

t.test('flags', async (t) => {
  const base = ['--policies', 'p'];
  t.match(parseOptions([...base, '--self-signed']), {
    policies: 'p',
    tls: { selfSigned: true },
    port: DEFAULT_PORT,
    host: '0.0.0.0',
    reloadIntervalMs: 2000,
    shutdownDelayMs: 0,
  });
  t.match(
    parseOptions([
      ...base,
      '--cert',
      'c.pem',
      '--key',
      'k.pem',
      '--port',
      '9443',
      '--host',
      '127.0.0.1',
      '--trusted-root',
      'corp=/etc/aviary/corp.json',
      '--reload-interval',
      '0.5',
      '--shutdown-delay',
      '5',
    ]),
    {
      tls: { cert: 'c.pem', key: 'k.pem' },
      port: 9443,
      host: '127.0.0.1',
      trustedRoots: { corp: '/etc/aviary/corp.json' },
      reloadIntervalMs: 500,
      shutdownDelayMs: 5000,
    },
  );
  t.match(
    parseOptions([...base, '--self-signed', '--trusted-root', 'public-good=/etc/trust/pg.json']),
    { trustedRoots: { 'public-good': '/etc/trust/pg.json' } },
    'public-good=FILE replaces the built-in root',
  );
  t.match(
    parseOptions([
      ...base,
      '--self-signed',
      '--san',
      'aviary.aviary-system.svc',
      '--print-ca',
      'ca.pem',
    ]),
    { tls: { selfSigned: true, hosts: ['aviary.aviary-system.svc'], printCa: 'ca.pem' } },
  );
  const bad: [string[], RegExp][] = [
    [['--self-signed'], /--policies PATH is required/],
    [[...base], /--cert FILE and --key FILE, or --self-signed/],
    [[...base, '--cert', 'c.pem'], /--cert FILE and --key FILE/],
    [[...base, '--self-signed', '--cert', 'c', '--key', 'k'], /mutually exclusive/],
    [[...base, '--cert', 'c', '--key', 'k', '--print-ca', 'x'], /only apply with --self-signed/],
    [[...base, '--self-signed', '--port', '70000'], /--port/],
    [[...base, '--self-signed', '--port', 'http'], /--port/],
    [[...base, '--self-signed', '--trusted-root', 'nofile'], /NAME=FILE/],
    [[...base, '--self-signed', '--trusted-root', 'a=x', '--trusted-root', 'a=y'], /twice/],
    [[...base, '--self-signed', '--trusted-root', 'Corp=x.json'], /NAME=FILE/],
    [[...base, '--self-signed', '--reload-interval', '0'], /--reload-interval/],
    [[...base, '--self-signed', '--log-level', 'loud'], /--log-level/],
    [[...base, '--self-signed', '--bogus'], /Unknown option/],
    [[...base, '--self-signed', 'positional'], /Unexpected argument|positional/],
  ];
  for (const [argv, message] of bad) {
    t.throws(() => parseOptions(argv), message, argv.join(' '));
    // One UsageError for the CLI and the webhook: the code, not the wording, is the contract.
    t.throws(() => parseOptions(argv), { code: 'USAGE_INVALID' }, argv.join(' '));
    try {
      parseOptions(argv);
    } catch (err) {
      t.ok(err instanceof UsageError, `${argv.join(' ')}: the policies package's UsageError`);
    }
  }
});

t.test(
  'the image runs the built binary, with node flags, and leaves the arguments to the Deployment',
  async (t) => {
    t.equal(BIN, path.join(REPO, 'webhook/bin/aviary-webhook.js'));
    t.ok(existsSync(BIN));
    t.same(IMAGE.flags, ['--max-semi-space-size=16']);
    t.same(IMAGE.args, []);
  },
);

interface Spawned {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  exit: Promise<[number | null, string | null]>;
}

/** Starts the built binary and waits for its "listening" log line. */
async function spawnWebhook(t: Test, args: string[]): Promise<Spawned> {
  t.ok(existsSync(path.join(REPO, 'webhook/dist/server.js')), 'built (npm run build)');
  const child = spawn(process.execPath, [...IMAGE.flags, BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = once(child, 'exit') as Promise<[number | null, string | null]>;
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let port = 0;
  await waitFor(() => {
    const m = /Server listening at https:\/\/127\.0\.0\.1:(\d+)/.exec(out);
    if (m) port = Number(m[1]);
    if (child.exitCode !== null) throw new Error(`exited early: ${out}`);
    return port > 0;
  }, 10_000);
  return { child, port, stdout: () => out, exit };
}

t.test(
  'aviary-webhook --self-signed: serves HTTPS, SIGTERM drains in-flight reviews',
  async (t) => {
    const dir = t.testdir({ policies: { 'p.yaml': POLICY } });
    const caFile = path.join(dir, 'ca.pem');
    const w = await spawnWebhook(t, [
      '--policies',
      path.join(dir, 'policies'),
      '--self-signed',
      '--san',
      '127.0.0.1',
      '--san',
      'aviary-webhook.aviary-system.svc',
      '--print-ca',
      caFile,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--shutdown-delay',
      '0.3',
    ]);
    const ca = readFileSync(caFile, 'utf8');
    const cert = new X509Certificate(ca);
    t.match(cert.subjectAltName, /DNS:aviary-webhook\.aviary-system\.svc/);
    t.match(cert.subjectAltName, /IP Address:127\.0\.0\.1/);
    t.equal((await send(w.port, { path: '/readyz', ca })).status, 200);

    // A review in flight when SIGTERM arrives still gets its answer.
    const body = JSON.stringify(reviewBody({ uid: 'u-term', object: isvc({ uri: 'gs://m/1/' }) }));
    const inflight = request({
      host: '127.0.0.1',
      port: w.port,
      method: 'POST',
      path: '/validate',
      ca,
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const responded = once(inflight, 'response') as Promise<[IncomingMessage]>;
    inflight.write(body.slice(0, 50));
    await once(inflight, 'socket');
    await new Promise((r) => setTimeout(r, 100));
    w.child.kill('SIGTERM');

    // During the shutdown delay: not ready, but still answering (and asking clients to reconnect).
    await waitFor(async () => (await send(w.port, { path: '/readyz', ca })).status === 503);
    const during = await send(w.port, {
      body: reviewBody({ uid: 'u-late', object: isvc({ uri: 's3://m/1/' }) }),
      ca,
    });
    t.equal(during.status, 200);
    t.equal(during.json.response.uid, 'u-late');
    t.equal(during.headers['connection'], 'close');

    inflight.end(body.slice(50));
    const [res] = await responded;
    let text = '';
    for await (const chunk of res) text += String(chunk);
    t.equal(res.statusCode, 200);
    t.equal(JSON.parse(text).response.uid, 'u-term');
    t.equal(JSON.parse(text).response.allowed, false);

    const [code, signal] = await w.exit;
    t.equal(code, 0, w.stdout());
    t.equal(signal, null);
    await t.rejects(send(w.port, { path: '/healthz', ca }), 'no longer listening');
    const lines = w.stdout().trim().split('\n');
    for (const l of lines) t.doesNotThrow(() => JSON.parse(l), `JSON log line: ${l.slice(0, 80)}`);
    t.ok(lines.some((l) => /"uid":"u-term".*"latencyMs"/.test(l)));
    t.ok(lines.some((l) => /"msg":"stopped"/.test(l)));
  },
);

t.test('aviary-webhook --cert/--key', async (t) => {
  const dir = t.testdir({
    policies: { 'p.yaml': POLICY },
    'tls.crt': (await testCert()).cert,
    'tls.key': (await testCert()).key,
  });
  const w = await spawnWebhook(t, [
    '--policies',
    path.join(dir, 'policies'),
    '--cert',
    path.join(dir, 'tls.crt'),
    '--key',
    path.join(dir, 'tls.key'),
    '--port',
    '0',
    '--host',
    '127.0.0.1',
  ]);
  const r = await send(w.port, { path: '/readyz', ca: (await testCert()).cert });
  t.equal(r.status, 200);
  w.child.kill('SIGINT');
  t.same(await w.exit, [0, null]);
});

t.test('exit codes: 2 on bad usage, 1 when it cannot start', async (t) => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args]);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
  const usage = await run([]);
  t.equal(usage.code, 2);
  t.match(usage.stderr, /--policies PATH is required\nusage: aviary-webhook/);
  const help = await run(['--help']);
  t.equal(help.code, 0);

  const dir = t.testdir({
    'p.yaml': POLICY,
    'tls.crt': (await testCert()).cert,
    'other.key': (await generateSelfSigned({ hosts: ['localhost'] })).key,
  });
  const mismatched = await run([
    '--policies',
    path.join(dir, 'p.yaml'),
    '--cert',
    path.join(dir, 'tls.crt'),
    '--key',
    path.join(dir, 'other.key'),
    '--port',
    '0',
  ]);
  t.equal(mismatched.code, 1);
  t.match(mismatched.stderr, /cannot start: the private key does not belong to the certificate/);
  const missing = await run(['--policies', dir, '--cert', 'nope.crt', '--key', 'nope.key']);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /cannot start: .*ENOENT/);
});
