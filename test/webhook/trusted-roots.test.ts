import path from 'node:path';
import t, { type Test } from 'tap';
import { startServer } from '@aviary/webhook';
import {
  KEYLESS_POLICY,
  NOT_A_ROOT,
  PUBLIC_GOOD,
  signedIsvc,
  withoutFulcio,
} from '../helpers/keyless.js';
import { logSink, reviewBody, send } from './support.js';

/**
 * `--trusted-root public-good=FILE` replaces the built-in root in a running webhook (file mode):
 * a genuine public-good keyless signature is admitted under the shipped root, denied under a
 * copy with Fulcio removed (a revocation), and an unusable file leaves the webhook not ready
 * rather than falling back to the built-in root.
 */
async function webhook(t: Test, root?: string) {
  const dir = t.testdir({ policies: { 'keyless.yaml': KEYLESS_POLICY }, 'root.json': root ?? '' });
  const sink = logSink();
  const server = await startServer({
    policies: path.join(dir, 'policies'),
    ...(root !== undefined ? { trustedRoots: { 'public-good': path.join(dir, 'root.json') } } : {}),
    tls: { selfSigned: true, hosts: ['127.0.0.1'] },
    port: 0,
    host: '127.0.0.1',
    logger: { level: 'info', stream: sink.stream },
  });
  t.teardown(() => server.close());
  const ca = server.selfSignedCert!;
  const admit = async () =>
    (await send(server.port, { body: reviewBody({ object: signedIsvc() }), ca })).json.response;
  return { server, logs: sink.lines, admit, file: path.join(dir, 'root.json'), ca };
}

t.test('the shipped root, given as a file: admitted, and the log names the file', async (t) => {
  const w = await webhook(t, PUBLIC_GOOD);
  t.match(await w.admit(), { allowed: true });
  t.match(w.logs, [{ msg: 'policies loaded', trustedRoots: { 'public-good': w.file } }]);
});

t.test('no file: the built-in root, logged as such', async (t) => {
  const w = await webhook(t);
  t.match(await w.admit(), { allowed: true });
  t.match(w.logs, [{ msg: 'policies loaded', trustedRoots: { 'public-good': 'built-in' } }]);
});

t.test('a replacement without Fulcio revokes every keyless signature', async (t) => {
  const w = await webhook(t, withoutFulcio());
  t.match(await w.admit(), { allowed: false, status: { message: /SIG_INVALID/ } });
});

t.test('an unusable replacement: not ready, the code logged, no fallback', async (t) => {
  for (const bad of ['{', NOT_A_ROOT]) {
    const w = await webhook(t, bad);
    t.equal((await send(w.server.port, { path: '/readyz', ca: w.ca })).status, 503, bad);
    t.match(w.logs, [{ level: 50, diagnostics: [/TRUST_ROOT_INVALID/] }]);
  }
});
