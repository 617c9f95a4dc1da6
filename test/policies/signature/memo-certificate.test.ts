import { readFileSync } from 'node:fs';
import path from 'node:path';
import { X509Certificate } from '@sigstore/core';
import t from 'tap';
import { MemoCertificate } from '../../../policies/src/signature/memo-certificate.js';
import { REPO } from '../../helpers/paths.js';

/**
 * MemoCertificate must answer exactly as @sigstore/core's X509Certificate does (it only
 * remembers the answers), for true and false cases alike. Real certificates: the Fulcio chain
 * (intermediate, root) and the old self-signed Fulcio root of the shipped public-good root.
 */
interface Root {
  certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
}
const root = JSON.parse(
  readFileSync(path.join(REPO, 'policies/trust/public-good.json'), 'utf8'),
) as Root;
const [old, current] = root.certificateAuthorities.map((ca) =>
  ca.certChain.certificates.map((c) => X509Certificate.parse(Buffer.from(c.rawBytes, 'base64'))),
);
const [intermediate, fulcioRoot] = current!;
const oldRoot = old![0]!;

t.test('of() wraps once and keeps the certificate', async (t) => {
  const m = MemoCertificate.of(intermediate!);
  t.equal(MemoCertificate.of(m), m, 'already memoised: the same object');
  t.ok(m.der.equals(intermediate!.root.toDER()), 'same DER');
  t.ok(m.publicKey.equals(intermediate!.publicKey), 'same SPKI');
  t.equal(m.key.asymmetricKeyType, 'ec');
  t.equal(m.subject.toString('hex'), intermediate!.subject.toString('hex'));
});

t.test('equals: same answers as the plain certificate', async (t) => {
  const m = MemoCertificate.of(fulcioRoot!);
  t.equal(m.equals(fulcioRoot!), true, 'equal to its plain self');
  t.equal(m.equals(MemoCertificate.of(fulcioRoot!)), true, 'equal to another memo of itself');
  t.equal(m.equals(intermediate!), false, 'not equal to another certificate');
  t.equal(m.equals(MemoCertificate.of(oldRoot)), false);
});

t.test('verify: same verdicts, remembered per issuer, for good and bad links', async (t) => {
  const cases: [string, X509Certificate, X509Certificate | undefined][] = [
    ['intermediate by its root', intermediate!, fulcioRoot!],
    ['root self-signed', fulcioRoot!, undefined],
    ['old root self-signed', oldRoot, undefined],
    ['intermediate by the wrong root', intermediate!, oldRoot],
    ['root by its own intermediate', fulcioRoot!, intermediate!],
    ['intermediate as self-signed', intermediate!, undefined],
  ];
  for (const [name, cert, issuer] of cases) {
    const plain = cert.verify(issuer);
    const m = MemoCertificate.of(cert);
    const memoIssuer = issuer && MemoCertificate.of(issuer);
    t.equal(m.verify(memoIssuer), plain, `${name}: memo issuer`);
    t.equal(m.verify(memoIssuer), plain, `${name}: remembered`);
    t.equal(m.verify(issuer), plain, `${name}: plain issuer`);
  }
  t.equal(intermediate!.verify(fulcioRoot), true, 'the good link is really good');
  t.equal(intermediate!.verify(oldRoot), false, 'the bad link is really bad');
});

t.test('clone: a fresh, unmemoised copy the caller may change', async (t) => {
  const m = MemoCertificate.of(intermediate!);
  const copy = m.clone();
  t.notOk(copy instanceof MemoCertificate);
  t.ok(copy.root.toDER().equals(m.der));
  copy.root.subs.pop();
  t.ok(m.der.equals(intermediate!.root.toDER()), 'the original is untouched');
  t.equal(m.equals(intermediate!), true);
});
