import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { startServer, type RunningServer } from '@aviary/webhook';
import { isvc } from '../helpers/isvc.js';
import { logSink, replaceFile, reviewBody, send, testCert, valueOf, waitFor } from './support.js';

// Policy hot reload through the real server: good → bad → good keeps the last good set active,
// logs the file:line diagnostics at error level and counts the failure.

const policy = (name: string, schemes: string, extra = '') =>
  `apiVersion: aviary.dev/v1alpha1\nkind: ModelReleasePolicy\nmetadata: {name: ${name}}\nspec:\n  pinning: {allowedSchemes: [${schemes}]}\n${extra}`;
const S3_ONLY = policy('prod', 's3');
const S3_GS = policy('prod', 's3, gs');
const BROKEN = `${policy('prod', 's3, gs')}  mode: enforcing\n`;

const pair = await testCert();
const ca = pair.cert;
const gsObject = isvc({ uri: 'gs://models/iris/1/' });

/** A test folder with the TLS pair beside `policies/` (the given files). */
function folder(t: Test, files: Record<string, string | Record<string, string>>): string {
  return t.testdir({
    'tls.crt': pair.cert,
    'tls.key': pair.key,
    policies: files,
  });
}

async function start(t: Test, dir: string, policies = path.join(dir, 'policies')) {
  const sink = logSink();
  const server = await startServer({
    policies,
    tls: { cert: path.join(dir, 'tls.crt'), key: path.join(dir, 'tls.key') },
    port: 0,
    host: '127.0.0.1',
    reloadIntervalMs: 100,
    logger: { level: 'info', stream: sink.stream },
  });
  t.teardown(() => server.close());
  return { server, logs: sink.lines };
}

const decide = async (server: RunningServer) =>
  (await send(server.port, { body: reviewBody({ object: gsObject, namespace: 'ml' }), ca })).json
    .response;
const ready = async (server: RunningServer) => send(server.port, { path: '/readyz', ca });

t.test('good → bad → good: the last good set stays active', async (t) => {
  const dir = folder(t, { 'prod.yaml': S3_ONLY });
  const file = path.join(dir, 'policies/prod.yaml');
  const { server, logs } = await start(t, dir);
  const m = server.metrics;
  t.equal(await valueOf(m.policyReloads), 1);
  t.equal((await ready(server)).status, 200);
  t.equal((await decide(server)).allowed, false, 's3 only: gs denied');

  replaceFile(file, S3_GS);
  await waitFor(async () => (await valueOf(m.policyReloads)) === 2);
  t.equal((await decide(server)).allowed, true, 'gs now allowed');
  const revision = (await ready(server)).json.revision;

  replaceFile(file, BROKEN);
  await waitFor(async () => (await valueOf(m.policyReloadErrors)) === 1);
  t.equal((await decide(server)).allowed, true, 'still the last good set');
  const r = await ready(server);
  t.equal(r.status, 200, 'still ready');
  t.equal(r.json.revision, revision, 'same active revision');
  const error = logs.find((l) => l.level === 50 && /policy reload rejected/.test(l.msg));
  t.ok(error, 'logged at error level');
  t.match(error!.diagnostics, [
    new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: POLICY_SCHEMA `),
  ]);
  t.same(error!.active.policies, ['prod']);
  const metrics = (await send(server.port, { path: '/metrics', ca })).text;
  t.match(metrics, /^aviary_policy_reload_errors_total 1$/m);
  t.match(metrics, /^aviary_policies_loaded 1$/m);

  replaceFile(file, S3_ONLY);
  await waitFor(async () => (await valueOf(m.policyReloads)) === 3);
  t.equal((await decide(server)).allowed, false, 'the fixed set applies');
  t.equal(await valueOf(m.policyReloadErrors), 1);
});

t.test('a duplicate policy name in a new file is a bad reload too', async (t) => {
  const dir = folder(t, { 'a.yaml': S3_ONLY });
  const { server } = await start(t, dir);
  writeFileSync(path.join(dir, 'policies/b.yaml'), S3_GS);
  await waitFor(async () => (await valueOf(server.metrics.policyReloadErrors)) === 1);
  t.equal((await decide(server)).allowed, false);
});

t.test('not ready until the first good load, then ready without a restart', async (t) => {
  const dir = folder(t, { 'prod.yaml': BROKEN });
  const { server, logs } = await start(t, dir);
  const r = await ready(server);
  t.equal(r.status, 503);
  t.equal((await send(server.port, { body: reviewBody({ object: gsObject }), ca })).status, 503);
  t.ok(logs.some((l) => l.level === 50 && /not ready/.test(l.msg)));
  t.match(await send(server.port, { path: '/metrics', ca }), {
    text: /^aviary_policies_loaded 0$/m,
  });

  writeFileSync(path.join(dir, 'policies/prod.yaml'), S3_GS);
  await waitFor(async () => (await valueOf(server.metrics.policyReloads)) === 1);
  t.equal((await ready(server)).status, 200);
  t.equal((await decide(server)).allowed, true);
});

t.test('an empty folder is not an empty policy set', async (t) => {
  const dir = folder(t, { 'prod.yaml': S3_ONLY });
  const { server } = await start(t, dir);
  writeFileSync(path.join(dir, 'policies/prod.yaml'), '# emptied\n');
  await waitFor(async () => (await valueOf(server.metrics.policyReloadErrors)) === 1);
  t.equal((await decide(server)).allowed, false, 'still enforcing');
});

t.test('a ConfigMap volume update (symlink swap) is picked up', async (t) => {
  // The kubelet's layout: prod.yaml -> ..data/prod.yaml, ..data -> ..<timestamp>/, swapped
  // atomically by renaming a new ..data symlink over the old one.
  const root = folder(t, { '..v1': { 'prod.yaml': S3_ONLY } });
  const dir = path.join(root, 'policies');
  symlinkSync('..v1', path.join(dir, '..data'));
  symlinkSync('..data/prod.yaml', path.join(dir, 'prod.yaml'));
  const { server } = await start(t, root);
  t.equal((await decide(server)).allowed, false);

  mkdirSync(path.join(dir, '..v2'));
  writeFileSync(path.join(dir, '..v2', 'prod.yaml'), S3_GS);
  symlinkSync('..v2', path.join(dir, '..data_tmp'));
  renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
  await waitFor(async () => (await valueOf(server.metrics.policyReloads)) === 2);
  t.equal((await decide(server)).allowed, true);
});

t.test('file mode warns that namespaceSelector policies apply everywhere', async (t) => {
  const selector = `${S3_ONLY}  match: {namespaceSelector: {matchLabels: {env: prod}}}\n`;
  const { server, logs } = await start(t, folder(t, { 'prod.yaml': selector }));
  t.match(
    logs.find((l) => l.level === 40 && /namespace labels are not known/.test(l.msg)),
    { policies: ['prod'] },
  );
  // Unknown labels: the selector is taken to match, so the policy checks every namespace.
  t.equal((await decide(server)).allowed, false);
});

t.test('a single policy file (not a folder) reloads too', async (t) => {
  const dir = folder(t, { 'prod.yaml': S3_ONLY });
  const { server } = await start(t, dir, path.join(dir, 'policies/prod.yaml'));
  writeFileSync(path.join(dir, 'policies/prod.yaml'), S3_GS);
  await waitFor(async () => (await valueOf(server.metrics.policyReloads)) === 2);
  t.equal((await decide(server)).allowed, true);
});
