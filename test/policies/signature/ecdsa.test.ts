import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import t from 'tap';
import { verifyEcdsaDigest } from '../../../policies/src/signature/ecdsa.js';

/**
 * Digest-based ECDSA (used for message signatures, where admission has the digest but never the
 * artifact) against signatures made by Node's OpenSSL, on every supported curve and hash.
 */
const combos = [
  ['prime256v1', 'sha256'],
  ['prime256v1', 'sha512'],
  ['secp384r1', 'sha384'],
  ['secp384r1', 'sha256'],
  ['secp521r1', 'sha512'],
  ['secp521r1', 'sha256'],
] as const;

for (const [curve, hash] of combos) {
  t.test(`${curve} / ${hash}`, async (t) => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const other = generateKeyPairSync('ec', { namedCurve: curve }).publicKey;
    for (let i = 0; i < 8; i++) {
      const message = randomBytes(1 + i * 50);
      const digest = createHash(hash).update(message).digest();
      const sig = sign(hash, message, privateKey);
      t.ok(verifyEcdsaDigest(publicKey, digest, sig), 'verifies');
      const flipped = Buffer.from(digest);
      flipped[i % flipped.length]! ^= 0x80;
      t.notOk(verifyEcdsaDigest(publicKey, flipped, sig), 'another digest');
      t.notOk(verifyEcdsaDigest(other, digest, sig), 'another key');
    }
  });
}

t.test('malformed signatures are rejected, never thrown', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const digest = createHash('sha256').update('m').digest();
  const good = sign('sha256', Buffer.from('m'), privateKey);
  t.ok(verifyEcdsaDigest(publicKey, digest, good));
  const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
  const der = (r: Buffer, s: Buffer) => {
    const int = (b: Buffer) => Buffer.concat([Buffer.from([0x02, b.length]), b]);
    const body = Buffer.concat([int(r), int(s)]);
    return Buffer.concat([Buffer.from([0x30, body.length]), body]);
  };
  const bad: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['trailing byte', Buffer.concat([good, Buffer.from([0])])],
    ['truncated', good.subarray(0, good.length - 1)],
    ['r = 0', der(Buffer.from([0]), Buffer.from([1]))],
    ['s = n', der(Buffer.from([1]), Buffer.concat([Buffer.from([0]), n]))],
    ['negative r', der(Buffer.from([0x80]), Buffer.from([1]))],
    ['non-minimal r', der(Buffer.from([0, 1]), Buffer.from([1]))],
    ['not a sequence', Buffer.from([0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01])],
    ['random bytes', randomBytes(70)],
  ];
  for (const [name, sig] of bad) t.notOk(verifyEcdsaDigest(publicKey, digest, sig), name);
  const ed = generateKeyPairSync('ed25519').publicKey;
  t.notOk(verifyEcdsaDigest(ed, digest, good), 'not an EC key');
});

t.test('node:crypto cannot verify a digest, which is why a library does', async (t) => {
  // With a null algorithm, OpenSSL hashes the input (SHA-256) rather than taking it as the
  // digest. If a Node release changes that, ecdsa.ts can drop @noble/curves.
  for (const [curve, hash] of [
    ['prime256v1', 'sha256'],
    ['secp384r1', 'sha384'],
    ['secp521r1', 'sha512'],
  ] as const) {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const digest = createHash(hash).update('m').digest();
    const sig = sign(hash, Buffer.from('m'), privateKey);
    t.notOk(verify(null, digest, publicKey, sig), `${curve}: null algorithm over the digest`);
    t.ok(verifyEcdsaDigest(publicKey, digest, sig), `${curve}: verifyEcdsaDigest`);
  }
});
