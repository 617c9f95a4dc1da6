import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import t from 'tap';
import { checkPair, generateSelfSigned, startServer } from '@aviary/webhook';
import { isvc } from '../../helpers/isvc.js';
import { logSink, replaceFile, reviewBody, send, valueOf, waitFor } from '../support.js';

const hosts = ['localhost', '127.0.0.1'];
const A = await generateSelfSigned({ hosts });
const B = await generateSelfSigned({ hosts });
const C = await generateSelfSigned({ hosts });
const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
const ca = [A.cert, B.cert, C.cert];

t.test('checkPair', async (t) => {
  t.equal(checkPair(A.cert, A.key).fingerprint, fp(A.cert));
  t.throws(() => checkPair(A.cert, B.key), /does not belong/);
  t.throws(() => checkPair('garbage', A.key), /no PEM certificate/);
  t.throws(() => checkPair(A.cert, 'garbage'), /no usable PEM private key/);
  t.throws(() => checkPair(A.cert.slice(0, 200), A.key), /no PEM certificate/, 'half-written file');
  const old = await generateSelfSigned({
    hosts,
    now: new Date(Date.now() - 10 * 86400_000),
    days: 2,
  });
  t.throws(() => checkPair(old.cert, old.key), /expired/);
});

t.test(
  'certificate reload: new connections get the new pair, open ones are untouched',
  async (t) => {
    const dir = t.testdir({ 'tls.crt': A.cert, 'tls.key': A.key, policies: { 'p.yaml': POLICY } });
    const sink = logSink();
    const server = await startServer({
      policies: path.join(dir, 'policies'),
      tls: { cert: path.join(dir, 'tls.crt'), key: path.join(dir, 'tls.key') },
      port: 0,
      host: '127.0.0.1',
      reloadIntervalMs: 100,
      logger: { level: 'info', stream: sink.stream },
    });
    t.teardown(() => server.close());
    const m = server.metrics;
    const body = JSON.stringify(
      reviewBody({ uid: 'u-inflight', object: isvc({ uri: 's3://m/1/' }) }),
    );

    // A kept-alive connection and a request in flight (half its body sent) on the old certificate.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    t.teardown(() => agent.destroy());
    const first = await send(server.port, { path: '/healthz', ca, agent });
    t.equal(first.peerFingerprint, fp(A.cert));
    const inflight = request({
      host: '127.0.0.1',
      port: server.port,
      method: 'POST',
      path: '/validate',
      ca,
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const responded = once(inflight, 'response');
    inflight.write(body.slice(0, 100));
    const [socket] = (await once(inflight, 'socket')) as [TLSSocket];
    if (!socket.authorized) await once(socket, 'secureConnect');
    t.equal(socket.getPeerCertificate().fingerprint256, fp(A.cert));

    // Two plain writes, not an atomic swap: a check may see B's certificate with A's key in
    // between (refused), but each state is judged on bytes read together.
    writeFileSync(path.join(dir, 'tls.crt'), B.cert);
    writeFileSync(path.join(dir, 'tls.key'), B.key);
    await waitFor(async () => (await valueOf(m.tlsReloads)) === 1);

    const fresh = await send(server.port, { path: '/healthz', ca });
    t.equal(fresh.peerFingerprint, fp(B.cert), 'a new connection sees the new certificate');
    const reused = await send(server.port, { path: '/healthz', ca, agent });
    t.equal(reused.status, 200);
    t.equal(reused.peerFingerprint, fp(A.cert), 'the kept-alive connection still works');

    inflight.end(body.slice(100));
    const [res] = (await responded) as [IncomingMessage];
    t.equal(res.statusCode, 200, 'the in-flight request completes');
    let text = '';
    for await (const chunk of res) text += String(chunk);
    t.equal(JSON.parse(text).response.uid, 'u-inflight');

    const metrics = (await send(server.port, { path: '/metrics', ca })).text;
    t.match(metrics, /^aviary_tls_reloads_total 1$/m);
    t.match(
      metrics,
      new RegExp(
        `^aviary_tls_certificate_expiry_timestamp_seconds ${new Date(new X509Certificate(B.cert).validTo).getTime() / 1000}$`,
        'm',
      ),
    );

    // A mismatched pair (C's certificate, B's key) is refused; B keeps serving.
    const errors = await valueOf(m.tlsReloadErrors);
    replaceFile(path.join(dir, 'tls.crt'), C.cert);
    await waitFor(async () => (await valueOf(m.tlsReloadErrors)) > errors);
    t.equal((await send(server.port, { path: '/healthz', ca })).peerFingerprint, fp(B.cert));
    const error = sink.lines.findLast(
      (l) => l.level === 50 && /certificate reload rejected/.test(l.msg),
    );
    t.match(error, { error: /does not belong/ });
    t.notOk(JSON.stringify(sink.lines).includes('PRIVATE KEY'), 'no key material logged');

    // Completing the pair (C's key) is a good reload.
    replaceFile(path.join(dir, 'tls.key'), C.key);
    await waitFor(async () => (await valueOf(m.tlsReloads)) === 2);
    t.equal((await send(server.port, { path: '/healthz', ca })).peerFingerprint, fp(C.cert));
  },
);

const POLICY =
  'apiVersion: aviary.dev/v1alpha1\nkind: ModelReleasePolicy\nmetadata: {name: p}\nspec:\n  pinning: {allowedSchemes: [s3]}\n';
