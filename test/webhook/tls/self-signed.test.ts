import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import path from 'node:path';
import t from 'tap';
import { generateSelfSigned } from '@aviary/webhook';
import { send } from '../support.js';

t.test('a well-formed self-signed certificate from node:crypto alone', async (t) => {
  const now = new Date('2026-03-01T12:00:00Z');
  const pair = generateSelfSigned({
    hosts: ['aviary-webhook.aviary-system.svc', '10.0.0.7', 'fe80::1', 'localhost'],
    now,
    days: 30,
  });
  const x = new X509Certificate(pair.cert);
  t.equal(x.subject, 'CN=aviary-webhook.aviary-system.svc');
  t.equal(x.issuer, x.subject);
  t.ok(x.ca, 'its own CA (the caBundle to trust)');
  t.equal(
    x.subjectAltName,
    'DNS:aviary-webhook.aviary-system.svc, IP Address:10.0.0.7, IP Address:FE80:0:0:0:0:0:0:1, DNS:localhost',
  );
  t.equal(new Date(x.validFrom).getTime(), now.getTime() - 3600_000);
  t.equal(new Date(x.validTo).getTime(), now.getTime() + 30 * 86400_000);
  t.ok(x.verify(x.publicKey), 'signature verifies');
  t.ok(x.checkPrivateKey(createPrivateKey(pair.key)), 'key matches');
  t.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.equal(x.checkHost('aviary-webhook.aviary-system.svc'), 'aviary-webhook.aviary-system.svc');
  t.equal(x.checkIP('10.0.0.7'), '10.0.0.7');
  t.not(generateSelfSigned().cert, generateSelfSigned().cert, 'fresh key and serial each time');
  t.equal(new X509Certificate(generateSelfSigned().cert).subject, 'CN=localhost');
});

t.test('a TLS client verifies it (hostname and chain)', async (t) => {
  const pair = generateSelfSigned({ hosts: ['127.0.0.1'] });
  const server = createServer(pair, (_req, res) => res.end('{"ok":true}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const r = await send(port, { path: '/', ca: pair.cert });
  t.same(r.json, { ok: true });
  await t.rejects(
    send(port, { path: '/', ca: generateSelfSigned().cert }),
    'another CA is refused',
  );
});

t.test('openssl agrees, when it is installed', async (t) => {
  const pair = generateSelfSigned({ hosts: ['localhost'] });
  const dir = t.testdir({});
  const file = path.join(dir, 'c.pem');
  writeFileSync(file, pair.cert);
  const out = await new Promise<string | undefined>((resolve) =>
    execFile('openssl', ['verify', '-CAfile', file, file], (err, stdout) =>
      resolve(err && (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : stdout),
    ),
  );
  if (out === undefined) t.comment('openssl not installed; skipped');
  else t.equal(out.trim(), `${file}: OK`);
});
