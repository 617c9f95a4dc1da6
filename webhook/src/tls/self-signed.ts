import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * A throw-away self-signed certificate for `--self-signed` (development, tests, kind clusters),
 * built with node:crypto alone: an ECDSA P-256 key from `generateKeyPairSync` and the X.509 DER
 * written by hand below. No `openssl` binary, no shell, no dependency. Production uses
 * cert-manager (`--cert`/`--key`, reloaded on rotation).
 */
export interface SelfSignedOptions {
  /** DNS names and IP addresses for subjectAltName. Default: localhost, 127.0.0.1, ::1. */
  hosts?: readonly string[];
  commonName?: string;
  /** Default 365 days. */
  days?: number;
  now?: Date;
}

export interface CertificatePair {
  cert: string;
  key: string;
}

export const DEFAULT_SELF_SIGNED_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

export function generateSelfSigned(options: SelfSignedOptions = {}): CertificatePair {
  const hosts = [...new Set(options.hosts ?? DEFAULT_SELF_SIGNED_HOSTS)];
  const now = options.now ?? new Date();
  const days = options.days ?? 365;
  const commonName = options.commonName ?? hosts[0] ?? 'aviary-webhook';
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });

  // Backdated an hour so a client with a slightly slow clock accepts it at once.
  const notBefore = new Date(now.getTime() - 3600_000);
  const notAfter = new Date(now.getTime() + days * 86400_000);
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40; // positive, no leading zero byte
  const name = seq(set(seq(oid('2.5.4.3'), utf8(commonName))));
  const keyId = subjectKeyId(spki);
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ecdsaWithSha256,
    name,
    seq(time(notBefore), time(notAfter)),
    name,
    spki,
    explicit(
      3,
      seq(
        // CA:TRUE, like `openssl req -x509`: the certificate is its own trust anchor (caBundle).
        extension('2.5.29.19', true, seq(boolean(true))),
        // digitalSignature | keyCertSign
        extension('2.5.29.15', true, bitString(Buffer.from([0x84]), 2)),
        extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // serverAuth
        extension('2.5.29.14', false, octetString(keyId)),
        // authorityKeyIdentifier = its own key id: lets TLS clients that trust several of these
        // certificates (same subject, e.g. during a rotation) pick the right one.
        extension('2.5.29.35', false, seq(tlv(0x80, keyId))),
        extension('2.5.29.17', false, seq(...hosts.map(generalName))),
      ),
    ),
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const der = seq(tbs, ecdsaWithSha256, bitString(signature, 0));
  const cert = toPem('CERTIFICATE', der);
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  // Self-check: node parses it, the signature verifies under its own key, the key matches.
  const x509 = new X509Certificate(cert);
  if (!x509.verify(publicKey) || !x509.checkPrivateKey(privateKey))
    throw new Error('generated self-signed certificate does not verify');
  return { cert, key };
}

// --- minimal DER -----------------------------------------------------------------------------

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else if (n < 0x100) len = Buffer.from([0x81, n]);
  else if (n < 0x10000) len = Buffer.from([0x82, n >> 8, n & 0xff]);
  else len = Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer) => tlv(0xa0 + n, inner);
const integer = (bytes: Buffer) => tlv(0x02, bytes);
const boolean = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
const octetString = (b: Buffer) => tlv(0x04, b);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bitString = (b: Buffer, unusedBits: number) =>
  tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), b]));

function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const bytes = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) bytes.unshift((v & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${iso}Z`, 'ascii'));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** dNSName [2] or iPAddress [7], both IMPLICIT. */
function generalName(host: string): Buffer {
  const family = isIP(host);
  if (family === 4) return tlv(0x87, Buffer.from(host.split('.').map(Number)));
  if (family === 6) return tlv(0x87, ipv6Bytes(host));
  return tlv(0x82, Buffer.from(host, 'ascii'));
}

function ipv6Bytes(host: string): Buffer {
  if (host.includes('.')) throw new Error(`IPv4-embedded IPv6 address not supported: ${host}`);
  const [head = '', tail] = host.split('::');
  const part = (s: string) => (s === '' ? [] : s.split(':'));
  const h = part(head);
  const t = tail === undefined ? [] : part(tail);
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits (the SPKI minus its algorithm). */
function subjectKeyId(spki: Buffer): Buffer {
  // For P-256 the key bits are the last 65 bytes of the SPKI.
  return createHash('sha1')
    .update(spki.subarray(spki.length - 65))
    .digest();
}

function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.replace(/\n$/, '')}\n-----END ${label}-----\n`;
}
