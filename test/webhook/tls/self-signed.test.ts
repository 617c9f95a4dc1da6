import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import path from 'node:path';
import t from 'tap';
import { generateSelfSigned } from '@aviary/webhook';
import { send } from '../support.js';

t.test('a well-formed self-signed certificate', async (t) => {
  const now = new Date('2026-03-01T12:00:00Z');
  const pair = await generateSelfSigned({
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
  t.same(x.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extended key usage: serverAuth only');
  // Key usage and criticality, which node:crypto does not expose, as OpenSSL prints them.
  const text = await opensslText(pair.cert);
  if (text === undefined) t.comment('openssl not installed; key usage not checked');
  else {
    t.match(text, /Basic Constraints: critical\s+CA:TRUE\n/);
    t.match(text, /Key Usage: critical\s+Digital Signature, Certificate Sign\n/);
    const ski = /Subject Key Identifier:\s+(\S+)/.exec(text)?.[1];
    t.ok(ski, 'a subject key identifier');
    t.match(text, new RegExp(`Authority Key Identifier:\\s+(keyid:)?${ski}`), 'its own key id');
  }
  t.not(
    (await generateSelfSigned()).cert,
    (await generateSelfSigned()).cert,
    'fresh key and serial each time',
  );
  t.equal(new X509Certificate((await generateSelfSigned()).cert).subject, 'CN=localhost');
});

t.test('validity past 2049 (GeneralizedTime)', async (t) => {
  const now = new Date('2049-12-01T00:00:00Z');
  const x = new X509Certificate((await generateSelfSigned({ now, days: 60 })).cert);
  t.equal(new Date(x.validTo).getTime(), now.getTime() + 60 * 86400_000);
  t.equal(new Date(x.validFrom).getTime(), now.getTime() - 3600_000);
});

t.test('a TLS client verifies it (hostname and chain)', async (t) => {
  const pair = await generateSelfSigned({ hosts: ['127.0.0.1'] });
  const server = createServer(pair, (_req, res) => res.end('{"ok":true}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const r = await send(port, { path: '/', ca: pair.cert });
  t.same(r.json, { ok: true });
  await t.rejects(
    send(port, { path: '/', ca: (await generateSelfSigned()).cert }),
    'another CA is refused',
  );
});

t.test('openssl agrees, when it is installed', async (t) => {
  const pair = await generateSelfSigned({ hosts: ['localhost'] });
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

function opensslText(pem: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = execFile('openssl', ['x509', '-noout', '-text'], (err, stdout) =>
      resolve(err && (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : stdout),
    );
    child.stdin?.end(pem);
  });
}
